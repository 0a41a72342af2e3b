"""Harbor Daily: a small news site on the Python standard library alone.

Visitors read articles, write new ones and comment. Everything lives in ``news.sqlite3`` in the
working directory, created (with a few first articles) on the first start. Every value that reaches
a page goes through ``html.escape``. Behind a proxy that mounts the site under a path, the proxy's
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

DATABASE = Path("news.sqlite3")
STYLE = Path(__file__).with_name("style.css")
MAX_BODY_BYTES = 64 * 1024
LIMITS = {"title": 200, "author": 60, "text": 5000}
PREFIX_PATTERN = re.compile(r"^(/[A-Za-z0-9._~-]+)*$")

StartResponse = Callable[..., object]

FIRST_ARTICLES = [
    (
        "Harbour ferries go electric next spring",
        "City desk",
        "The two oldest ferries will be replaced by quiet electric boats. The crossing stays at twelve "
        "minutes, and the first boat leaves at 6:10 as before.",
    ),
    (
        "Night market returns to the old quay",
        "Culture desk",
        "Forty stalls, three bands and the best fish soup in town: the night market is back every "
        "Friday from June to September.",
    ),
    (
        "Library opens a repair café",
        "Community",
        "Bring a lamp, a toaster or a torn jacket: volunteers fix things for free on the first Saturday of each month.",
    ),
]


def connect() -> sqlite3.Connection:
    """One connection per request: SQLite connections must not cross threads."""
    connection = sqlite3.connect(DATABASE)
    connection.row_factory = sqlite3.Row
    return connection


def create_database() -> None:
    """Create the tables and the first articles once; later starts keep what visitors wrote."""
    with connect() as connection:
        connection.executescript(
            """
            CREATE TABLE IF NOT EXISTS article (
                id INTEGER PRIMARY KEY, title TEXT NOT NULL, author TEXT NOT NULL,
                text TEXT NOT NULL, created TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS comment (
                id INTEGER PRIMARY KEY, article_id INTEGER NOT NULL REFERENCES article(id),
                author TEXT NOT NULL, text TEXT NOT NULL, created TEXT NOT NULL);
            """
        )
        if connection.execute("SELECT COUNT(*) FROM article").fetchone()[0] == 0:
            for title, author, text in FIRST_ARTICLES:
                connection.execute(
                    "INSERT INTO article (title, author, text, created) VALUES (?, ?, ?, ?)",
                    (title, author, text, now()),
                )


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M")


def prefix_of(environ: dict) -> str:
    """The path the site is mounted under; a malformed header is ignored rather than echoed."""
    prefix = environ.get("HTTP_X_FORWARDED_PREFIX") or environ.get("SCRIPT_NAME", "")
    prefix = prefix.rstrip("/")
    return prefix if PREFIX_PATTERN.match(prefix) else ""


def escape(value: object) -> str:
    return html.escape(str(value), quote=True)


def paragraphs(text: str) -> str:
    return "".join(f"<p>{escape(part)}</p>" for part in text.split("\n") if part.strip())


def page(prefix: str, title: str, body: str) -> str:
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} · Harbor Daily</title>
<link rel="stylesheet" href="{prefix}/style.css"></head>
<body><header class="masthead"><div class="wrap">
<a class="brand" href="{prefix}/">Harbor <span>Daily</span></a>
<nav><a href="{prefix}/">Latest</a><a class="button" href="{prefix}/write">Write an article</a></nav>
</div></header>
<main class="wrap">{body}</main>
<footer class="wrap">Harbor Daily · news from the quay since this morning</footer>
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


def article_list(prefix: str) -> str:
    with connect() as connection:
        articles = connection.execute(
            "SELECT a.*, (SELECT COUNT(*) FROM comment c WHERE c.article_id = a.id) AS comments"
            " FROM article a ORDER BY a.id DESC"
        ).fetchall()
    cards = "".join(
        f"""<article class="card{" lead" if number == 0 else ""}">
<p class="meta">{escape(article["created"])} · {escape(article["author"])}</p>
<h2><a href="{prefix}/article/{article["id"]}">{escape(article["title"])}</a></h2>
<p>{escape(article["text"][:220])}{"…" if len(article["text"]) > 220 else ""}</p>
<p class="meta">{article["comments"]} comment(s)</p></article>"""
        for number, article in enumerate(articles)
    )
    return page(prefix, "Latest news", f'<h1 class="section">Latest news</h1><div class="grid">{cards}</div>')


def write_form(prefix: str, fields: dict[str, str], errors: list[str]) -> str:
    body = f"""<h1 class="section">Write an article</h1>{form_errors(errors)}
<form method="post" action="{prefix}/write" class="form">
{text_input("Title", "title", fields)}
{text_input("Your name", "author", fields)}
{text_area("Text", "text", fields, 8)}
<button type="submit">Publish</button></form>"""
    return page(prefix, "Write an article", body)


def article_page(prefix: str, article: sqlite3.Row, fields: dict[str, str], errors: list[str]) -> str:
    with connect() as connection:
        comments = connection.execute(
            "SELECT * FROM comment WHERE article_id = ? ORDER BY id", (article["id"],)
        ).fetchall()
    listed = (
        "".join(
            f'<li><p class="meta">{escape(comment["author"])} · {escape(comment["created"])}</p>'
            f"{paragraphs(comment['text'])}</li>"
            for comment in comments
        )
        or '<li class="empty">No comments yet: be the first.</li>'
    )
    body = f"""<article class="story"><p class="meta">{escape(article["created"])} · {escape(article["author"])}</p>
<h1>{escape(article["title"])}</h1>{paragraphs(article["text"])}</article>
<section class="comments" id="comments"><h2>Comments</h2><ul>{listed}</ul>{form_errors(errors)}
<form method="post" action="{prefix}/article/{article["id"]}/comment" class="form">
{text_input("Your name", "author", fields)}
{text_area("Comment", "text", fields, 4)}
<button type="submit">Add a comment</button></form></section>"""
    return page(prefix, article["title"], body)


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


def application(environ: dict, start_response: StartResponse) -> list[bytes]:
    prefix = prefix_of(environ)
    path = environ.get("PATH_INFO", "/") or "/"
    method = environ.get("REQUEST_METHOD", "GET")
    if path == "/style.css":
        return respond(start_response, "200 OK", STYLE.read_text(encoding="utf-8"), "text/css")
    if path == "/" and method == "GET":
        return respond(start_response, "200 OK", article_list(prefix))
    if path == "/write":
        if method == "GET":
            return respond(start_response, "200 OK", write_form(prefix, {}, []))
        if method == "POST":
            fields = read_form(environ)
            if fields is None:
                return respond(start_response, "413 Payload Too Large", page(prefix, "Too large", "<p>Too large.</p>"))
            errors = validate(fields, ("title", "author", "text"))
            if errors:
                return respond(start_response, "400 Bad Request", write_form(prefix, fields, errors))
            with connect() as connection:
                cursor = connection.execute(
                    "INSERT INTO article (title, author, text, created) VALUES (?, ?, ?, ?)",
                    (fields["title"].strip(), fields["author"].strip(), fields["text"].strip(), now()),
                )
            return redirect(start_response, f"{prefix}/article/{cursor.lastrowid}")
    match = re.fullmatch(r"/article/(\d+)(/comment)?", path)
    if match:
        with connect() as connection:
            article = connection.execute("SELECT * FROM article WHERE id = ?", (int(match[1]),)).fetchone()
        if article is not None and method == "GET" and not match[2]:
            return respond(start_response, "200 OK", article_page(prefix, article, {}, []))
        if article is not None and method == "POST" and match[2]:
            fields = read_form(environ)
            if fields is None:
                return respond(start_response, "413 Payload Too Large", page(prefix, "Too large", "<p>Too large.</p>"))
            errors = validate(fields, ("author", "text"))
            if errors:
                return respond(start_response, "400 Bad Request", article_page(prefix, article, fields, errors))
            with connect() as connection:
                connection.execute(
                    "INSERT INTO comment (article_id, author, text, created) VALUES (?, ?, ?, ?)",
                    (article["id"], fields["author"].strip(), fields["text"].strip(), now()),
                )
            return redirect(start_response, f"{prefix}/article/{article['id']}#comments")
    return respond(start_response, "404 Not Found", page(prefix, "Not found", '<h1 class="section">Not found</h1>'))


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
