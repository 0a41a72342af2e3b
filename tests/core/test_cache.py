"""Versioned values: kept in process memory and the shared cache, computed once per key."""

from django.core.cache import cache

from core import cache as versioned


def computing(value: str, calls: list[str]):
    def compute() -> str:
        calls.append(value)
        return value

    return compute


def test_a_value_is_computed_once_and_then_served_from_process_memory():
    calls: list[str] = []
    first = versioned.versioned_get_or_set("v1:page", computing("rows", calls), timeout=60)
    cache.delete("v1:page")  # gone from the shared cache: only this process's memory still holds it

    again = versioned.versioned_get_or_set("v1:page", computing("other", calls), timeout=60)

    assert (first, again, calls) == ("rows", "rows", ["rows"])


def test_another_process_reads_the_shared_cache_instead_of_computing():
    calls: list[str] = []
    versioned.versioned_get_or_set("v1:count", computing("42", calls), timeout=60)
    versioned.local_clear()  # as a process that never saw the key

    value = versioned.versioned_get_or_set("v1:count", computing("0", calls), timeout=60)

    assert (value, calls) == ("42", ["42"])


def test_process_memory_keeps_only_the_most_recently_used_entries(monkeypatch):
    monkeypatch.setattr(versioned, "LOCAL_ENTRIES_MAX", 3)
    calls: list[str] = []
    for name in ("a", "b", "c"):
        versioned.versioned_get_or_set(name, computing(name, calls), timeout=60)
    versioned.versioned_get_or_set("a", computing("a", calls), timeout=60)  # used again: kept
    versioned.versioned_get_or_set("d", computing("d", calls), timeout=60)  # "b" leaves
    cache.clear()

    versioned.versioned_get_or_set("a", computing("a", calls), timeout=60)
    versioned.versioned_get_or_set("b", computing("b", calls), timeout=60)

    assert versioned.local_entries() == 3
    assert calls == ["a", "b", "c", "d", "b"]
