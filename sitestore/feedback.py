"""The FAQ bot's matching: Okapi BM25 over each entry's question and answer, in English and Russian.

Words are lower-cased, "ё" is read as "е", common function words are dropped and every other word
is reduced to its stem with the Snowball stemmers (Russian for Cyrillic words, English otherwise),
so "сайты", "сайтов" and "сайта" are one term, and so are "download", "downloads" and "downloading".

A raw BM25 score grows with the question's length and the corpus, so it cannot be compared with a
fixed threshold. ``FaqIndex.best`` divides it by the most that question could score: the sum over
its terms of ``idf × (k1 + 1)``, where a term no entry contains counts with the highest idf of the
corpus. The result lies between 0 and 1 and says how much of what was asked the best entry covers:
a question about cooking borscht scores 0, the FAQ's own question close to 1.
"""

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

import snowballstemmer

# BM25's usual constants: term-frequency saturation and length normalisation.
K1 = 1.2
B = 0.75
# The question says what an entry is about; its answer only adds words. Questions count twice.
QUESTION_WEIGHT = 2

WORD = re.compile(r"[^\W_]+", re.UNICODE)
CYRILLIC = re.compile(r"[а-я]")

# Words that carry no meaning for matching (kept short: BM25's idf already weighs down the rest).
STOP_WORDS_TEXT = """
    a an the and or but if of to in on at by for with from as into about is are was were be been being am
    do does did done have has had i me my mine we our you your it its this that these those there here
    what which who whom how when where why can could should would will shall may might must not no
    so than then too very just also any some all please get got want wanted like need would
    а и или но если то в во на с со к ко по о об от до из за для у же ли бы не ни да нет
    я мы ты вы он она оно они мой моя моё мои мне меня наш ваш твой свой это этот эта эти тот та те
    как что где когда почему зачем кто какой какая какие можно ли нужно надо есть быть был была было
    ещё еще уже очень так тоже также пожалуйста хочу хотел хотела хотим нужен нужна
    """
# Spelt as the text is read, with "ё" as "е".
STOP_WORDS = frozenset(word.replace("ё", "е") for word in STOP_WORDS_TEXT.split())


@cache
def _stemmer(language: str) -> snowballstemmer.stemmer:
    return snowballstemmer.stemmer(language)


def language_of(text: str) -> str:
    """``ru`` when the text has Cyrillic letters, else ``en`` (the FAQ's two languages)."""
    return "ru" if CYRILLIC.search(text.lower()) else "en"


def terms(text: str) -> list[str]:
    """The stems of the meaningful words of ``text``, in order (repeats kept)."""
    words = [word for word in WORD.findall(text.lower().replace("ё", "е")) if word not in STOP_WORDS]
    return [
        _stemmer("russian" if CYRILLIC.search(word) else "english").stemWord(word)
        for word in words
        if not word.isdigit()
    ]


@dataclass(frozen=True)
class FaqDocument:
    """One FAQ entry as the index sees it; ``key`` is the caller's id for it."""

    key: int
    question: str
    answer: str
    language: str


@dataclass(frozen=True)
class Match:
    document: FaqDocument
    # BM25 divided by the question's highest possible score: 0 (nothing in common) to 1.
    score: float


class FaqIndex:
    """A BM25 index over a few hundred FAQ entries at most, built in memory in microseconds."""

    def __init__(self, documents: Iterable[FaqDocument]) -> None:
        self.documents = list(documents)
        self.frequencies: list[Counter[str]] = []
        for document in self.documents:
            counts = Counter(terms(document.answer))
            for term in terms(document.question):
                counts[term] += QUESTION_WEIGHT
            self.frequencies.append(counts)
        self.lengths = [sum(counts.values()) for counts in self.frequencies]
        self.average_length = (sum(self.lengths) / len(self.lengths)) if self.lengths else 0.0
        containing: Counter[str] = Counter()
        for counts in self.frequencies:
            containing.update(counts.keys())
        total = len(self.documents)
        self.idf = {term: self._idf(total, count) for term, count in containing.items()}
        # What a word found in no entry weighs: as much as the rarest possible one.
        self.unknown_idf = self._idf(total, 0)

    @staticmethod
    def _idf(total: int, containing: int) -> float:
        # The "+1" variant (as in Lucene) never goes negative for words in most entries.
        return math.log(1 + (total - containing + 0.5) / (containing + 0.5))

    def _score(self, index: int, query: list[str]) -> float:
        counts, length = self.frequencies[index], self.lengths[index]
        score = 0.0
        for term in query:
            frequency = counts.get(term, 0)
            if frequency:
                norm = K1 * (1 - B + B * length / self.average_length)
                score += self.idf[term] * frequency * (K1 + 1) / (frequency + norm)
        return score

    def best(self, question: str, *, language: str | None = None) -> Match | None:
        """The entry that answers ``question`` best, or None when nothing shares a word with it.

        With ``language``, entries in that language are preferred when there are any, so a
        question is answered in the language it was asked in.
        """
        query = list(dict.fromkeys(terms(question)))
        if not query or not self.documents:
            return None
        candidates = [i for i, document in enumerate(self.documents) if document.language == language]
        if not candidates:
            candidates = list(range(len(self.documents)))
        ceiling = sum(self.idf.get(term, self.unknown_idf) for term in query) * (K1 + 1)
        scored = [(self._score(i, query), i) for i in candidates]
        top_score, top_index = max(scored, key=lambda pair: (pair[0], -pair[1]))
        if top_score <= 0:
            return None
        return Match(document=self.documents[top_index], score=min(1.0, top_score / ceiling))
