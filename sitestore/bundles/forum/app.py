"""Campfire: a small discussion forum on the Python standard library alone.

Visitors open topics and reply to them. Everything lives in ``forum.sqlite3`` in the working
directory, created (with a first topic) on the first start. Every value that reaches a page goes
through ``html.escape``. Behind a proxy that mounts the site under a path, the proxy's
``X-Forwarded-Prefix`` header (or the WSGI ``SCRIPT_NAME``) is put in front of every link.

Run: ``python3 app.py --port 8100`` (listens on 127.0.0.1 only).
"""

import argparse
import html
import re
import sqlite3
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from socketserver import ThreadingMixIn
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

DATABASE = Path("forum.sqlite3")
STYLE = Path(__file__).with_name("style.css")
MAX_BODY_BYTES = 64 * 1024
LIMITS = {"subject": 150, "author": 40, "text": 4000}
# The brand's flame, drawn inline: emoji fonts are not on every machine.
FLAME = (
    '<svg class="flame" viewBox="0 0 24 24" aria-hidden="true">'
    '<path d="M12 2c1 4 5 6 5 11a5 5 0 0 1-10 0c0-3 2-4 2-7 2 1 3 3 3 5 1-2 1-5 0-9z" fill="#ff922b"/></svg>'
)
PREFIX_PATTERN = re.compile(r"^(/[A-Za-z0-9._~-]+)*$")

StartResponse = Callable[..., object]

FIRST_TOPICS = [
    (
        "Welcome to Campfire!",
        "moderator",
        "Say hello and tell us what brings you here. Be kind, stay on topic, and have fun.",
        [("maria", "Hi all! Found this place through a friend. Looking forward to the hiking threads.")],
    ),
    (
        "Best light tent for two?",
        "oleg",
        "Planning a week in the mountains in August. What two-person tent under 2 kg would you take?",
        [
            ("anna", "I have carried a tunnel tent for three summers: 1.6 kg and dry every night."),
            ("oleg", "Thanks! Did it hold up in strong wind?"),
        ],
    ),
]


def connect() -> sqlite3.Connection:
    """One connection per request: SQLite connections must not cross threads."""
    connection = sqlite3.connect(DATABASE)
    connection.row_factory = sqlite3.Row
    return connection


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M")


def create_database() -> None:
    """Create the tables and the first topics once; later starts keep what visitors wrote."""
    with connect() as connection:
        connection.executescript(
            """
            CREATE TABLE IF NOT EXISTS topic (
                id INTEGER PRIMARY KEY, subject TEXT NOT NULL, author TEXT NOT NULL, created TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS post (
                id INTEGER PRIMARY KEY, topic_id INTEGER NOT NULL REFERENCES topic(id),
                author TEXT NOT NULL, text TEXT NOT NULL, created TEXT NOT NULL);
            """
        )
        if connection.execute("SELECT COUNT(*) FROM topic").fetchone()[0] == 0:
            for subject, author, text, replies in FIRST_TOPICS:
                topic_id = add_topic(connection, subject, author, text)
                for reply_author, reply_text in replies:
                    add_post(connection, topic_id, reply_author, reply_text)


def add_topic(connection: sqlite3.Connection, subject: str, author: str, text: str) -> int:
    cursor = connection.execute(
        "INSERT INTO topic (subject, author, created) VALUES (?, ?, ?)", (subject, author, now())
    )
    topic_id = int(cursor.lastrowid or 0)
    add_post(connection, topic_id, author, text)
    return topic_id


def add_post(connection: sqlite3.Connection, topic_id: int, author: str, text: str) -> None:
    connection.execute(
        "INSERT INTO post (topic_id, author, text, created) VALUES (?, ?, ?, ?)", (topic_id, author, text, now())
    )


def prefix_of(environ: dict) -> str:
    """The path the site is mounted under; a malformed header is ignored rather than echoed."""
    prefix = environ.get("HTTP_X_FORWARDED_PREFIX") or environ.get("SCRIPT_NAME", "")
    prefix = prefix.rstrip("/")
    return prefix if PREFIX_PATTERN.match(prefix) else ""


def escape(value: object) -> str:
    return html.escape(str(value), quote=True)


def initials(name: str) -> str:
    return escape(name[:1].upper() or "?")


def page(prefix: str, title: str, body: str) -> str:
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} · Campfire</title>
<link rel="stylesheet" href="{prefix}/style.css"></head>
<body><header class="top"><div class="wrap">
<a class="brand" href="{prefix}/">{FLAME}Campfire</a>
<a class="button" href="{prefix}/new">New topic</a>
</div></header>
<main class="wrap">{body}</main>
<footer class="wrap">Campfire · a friendly place to talk</footer>
</body></html>"""


def text_input(label: str, name: str, fields: dict[str, str]) -> str:
    value = escape(fields.get(name, ""))
    return f'<label>{label} <input name="{name}" maxlength="{LIMITS[name]}" value="{value}" required></label>'


def text_area(label: str, name: str, fields: dict[str, str], rows: int) -> str:
    value = escape(fields.get(name, ""))
    area = f'<textarea name="{name}" rows="{rows}" maxlength="{LIMITS[name]}" required>{value}</textarea>'
    return f"<label>{label} {area}</label>"


def form_errors(errors: list[str]) -> str:
    if not errors:
        return ""
    return '<div class="errors">' + "".join(f"<p>{escape(error)}</p>" for error in errors) + "</div>"


def validate(fields: dict[str, str], names: Iterable[str]) -> list[str]:
    errors = []
    for name in names:
        value = fields.get(name, "").strip()
        if not value:
            errors.append(f"Please fill in the {name}.")
        elif len(value) > LIMITS[name]:
            errors.append(f"The {name} is too long (at most {LIMITS[name]} characters).")
    return errors


def topic_list(prefix: str) -> str:
    with connect() as connection:
        topics = connection.execute(
            "SELECT t.*, COUNT(p.id) - 1 AS replies, MAX(p.created) AS last_post"
            " FROM topic t JOIN post p ON p.topic_id = t.id GROUP BY t.id ORDER BY MAX(p.id) DESC"
        ).fetchall()
    rows = (
        "".join(
            f"""<li class="topic"><span class="avatar">{initials(topic["author"])}</span>
<div><a href="{prefix}/topic/{topic["id"]}">{escape(topic["subject"])}</a>
<p class="meta">started by {escape(topic["author"])} · last post {escape(topic["last_post"])}</p></div>
<span class="count">{topic["replies"]}<small>replies</small></span></li>"""
            for topic in topics
        )
        or '<li class="empty">No topics yet.</li>'
    )
    return page(prefix, "Topics", f'<h1>Topics</h1><ul class="topics">{rows}</ul>')


def new_topic_form(prefix: str, fields: dict[str, str], errors: list[str]) -> str:
    body = f"""<h1>New topic</h1>{form_errors(errors)}
<form method="post" action="{prefix}/new" class="form">
{text_input("Subject", "subject", fields)}
{text_input("Your name", "author", fields)}
{text_area("Message", "text", fields, 6)}
<button type="submit">Start the topic</button></form>"""
    return page(prefix, "New topic", body)


def topic_page(prefix: str, topic: sqlite3.Row, fields: dict[str, str], errors: list[str]) -> str:
    with connect() as connection:
        posts = connection.execute("SELECT * FROM post WHERE topic_id = ? ORDER BY id", (topic["id"],)).fetchall()
    listed = "".join(
        f"""<li class="post" id="post-{post["id"]}"><span class="avatar">{initials(post["author"])}</span>
<div><p class="meta"><strong>{escape(post["author"])}</strong> · {escape(post["created"])}</p>
{"".join(f"<p>{escape(line)}</p>" for line in post["text"].split(chr(10)) if line.strip())}</div></li>"""
        for post in posts
    )
    body = f"""<p class="crumbs"><a href="{prefix}/">Topics</a> ›</p><h1>{escape(topic["subject"])}</h1>
<ul class="posts">{listed}</ul><h2 id="reply">Reply</h2>{form_errors(errors)}
<form method="post" action="{prefix}/topic/{topic["id"]}/reply" class="form">
{text_input("Your name", "author", fields)}
{text_area("Message", "text", fields, 4)}
<button type="submit">Post the reply</button></form>"""
    return page(prefix, topic["subject"], body)


def read_form(environ: dict) -> dict[str, str] | None:
    """The posted form, or None when the body is larger than the site accepts."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_BODY_BYTES:
        return None
    raw = environ["wsgi.input"].read(length).decode("utf-8", errors="replace")
    return {name: values[0] for name, values in parse_qs(raw).items()}


def respond(start_response: StartResponse, status: str, content: str, content_type: str = "text/html") -> list[bytes]:
    data = content.encode("utf-8")
    start_response(status, [("Content-Type", f"{content_type}; charset=utf-8"), ("Content-Length", str(len(data)))])
    return [data]


def redirect(start_response: StartResponse, location: str) -> list[bytes]:
    start_response("303 See Other", [("Location", location), ("Content-Length", "0")])
    return [b""]


def too_large(start_response: StartResponse, prefix: str) -> list[bytes]:
    return respond(start_response, "413 Payload Too Large", page(prefix, "Too large", "<h1>Too large</h1>"))


def application(environ: dict, start_response: StartResponse) -> list[bytes]:
    prefix = prefix_of(environ)
    path = environ.get("PATH_INFO", "/") or "/"
    method = environ.get("REQUEST_METHOD", "GET")
    if path == "/style.css":
        return respond(start_response, "200 OK", STYLE.read_text(encoding="utf-8"), "text/css")
    if path == "/" and method == "GET":
        return respond(start_response, "200 OK", topic_list(prefix))
    if path == "/new":
        if method == "GET":
            return respond(start_response, "200 OK", new_topic_form(prefix, {}, []))
        if method == "POST":
            fields = read_form(environ)
            if fields is None:
                return too_large(start_response, prefix)
            errors = validate(fields, ("subject", "author", "text"))
            if errors:
                return respond(start_response, "400 Bad Request", new_topic_form(prefix, fields, errors))
            with connect() as connection:
                topic_id = add_topic(
                    connection, fields["subject"].strip(), fields["author"].strip(), fields["text"].strip()
                )
            return redirect(start_response, f"{prefix}/topic/{topic_id}")
    match = re.fullmatch(r"/topic/(\d+)(/reply)?", path)
    if match:
        with connect() as connection:
            topic = connection.execute("SELECT * FROM topic WHERE id = ?", (int(match[1]),)).fetchone()
        if topic is not None and method == "GET" and not match[2]:
            return respond(start_response, "200 OK", topic_page(prefix, topic, {}, []))
        if topic is not None and method == "POST" and match[2]:
            fields = read_form(environ)
            if fields is None:
                return too_large(start_response, prefix)
            errors = validate(fields, ("author", "text"))
            if errors:
                return respond(start_response, "400 Bad Request", topic_page(prefix, topic, fields, errors))
            with connect() as connection:
                add_post(connection, topic["id"], fields["author"].strip(), fields["text"].strip())
            return redirect(start_response, f"{prefix}/topic/{topic['id']}#reply")
    return respond(start_response, "404 Not Found", page(prefix, "Not found", "<h1>Not found</h1>"))


class ThreadingServer(ThreadingMixIn, WSGIServer):
    """A browser loads the page and its stylesheet at once: answer them side by side."""

    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """Requests are not logged: a preview's output is not kept anywhere."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    arguments = parser.parse_args()
    create_database()
    with make_server("127.0.0.1", arguments.port, application, ThreadingServer, QuietHandler) as server:
        server.serve_forever()


if __name__ == "__main__":
    main()
