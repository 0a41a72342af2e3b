"""Demo FAQ entries for `fill`, in English and Russian, which the feedback page's bot answers from."""

from typing import Any

from sitestore.feedback_services import faq_entry_create
from sitestore.models import FaqEntry

FAQ_ENTRIES: list[tuple[str, str, str]] = [
    (
        "en",
        "How do I buy a site template?",
        "Open the catalogue, pick a template and press “Add to cart”, then check out in the cart. "
        "The purchased site appears under My sites at once.",
    ),
    (
        "en",
        "How can I download my site?",
        "On My sites, press “Download (.zip)” next to the site: you get a zip archive with all of its files.",
    ),
    (
        "en",
        "How do I run a live preview of my site?",
        "Press “Run” on My sites. The site starts on our server and opens inside the page, "
        "visible only to you. It stops by itself after ten minutes, or when you press “Stop”.",
    ),
    (
        "en",
        "Why did my preview stop?",
        "Previews run for ten minutes and then stop automatically to free the server. Press “Run” again to restart it.",
    ),
    (
        "en",
        "What do the development stages mean?",
        "Every purchased site goes through the stages queued, design, development, testing and delivered. "
        "Our developers move it forward and you get an email at each change.",
    ),
    (
        "en",
        "Can I try a template before buying it?",
        "Yes: press “Try live demo” on the template's page to run the demo site for a few minutes.",
    ),
    (
        "en",
        "How do I contact the developers?",
        "Ask your question on the feedback page and press “Ask the developers”, or open a thread about one of "
        "your sites. You get an email when they answer.",
    ),
    (
        "ru",
        "Как купить шаблон сайта?",
        "Откройте каталог, выберите шаблон и нажмите «В корзину», затем оформите покупку в корзине. "
        "Купленный сайт сразу появится в разделе «Мои сайты».",
    ),
    (
        "ru",
        "Как скачать мой сайт?",
        "В разделе «Мои сайты» нажмите «Скачать (.zip)» рядом с сайтом: вы получите zip-архив со всеми его файлами.",
    ),
    (
        "ru",
        "Как запустить предпросмотр сайта?",
        "Нажмите «Запустить» в разделе «Мои сайты». Сайт запустится на нашем сервере и откроется прямо на странице, "
        "видимый только вам. Он остановится сам через десять минут или по кнопке «Остановить».",
    ),
    (
        "ru",
        "Что означают этапы разработки?",
        "Каждый купленный сайт проходит этапы: в очереди, дизайн, разработка, тестирование и сдача. "
        "Разработчики переводят его на следующий этап, и при каждом изменении вы получаете письмо.",
    ),
    (
        "ru",
        "Можно ли попробовать шаблон до покупки?",
        "Да: нажмите «Живое демо» на странице шаблона, и демонстрационный сайт запустится на несколько минут.",
    ),
    (
        "ru",
        "Как связаться с разработчиками?",
        "Задайте вопрос на странице обратной связи и нажмите «Спросить разработчиков» или откройте обсуждение "
        "по одному из ваших сайтов. Когда они ответят, вы получите письмо.",
    ),
]


def faq_fill(**_options: Any) -> None:
    """Create the demo FAQ entries once (a database that has FAQ entries is left as it is)."""
    if FaqEntry.objects.exists():
        return
    for language, question, answer in FAQ_ENTRIES:
        faq_entry_create(data={"language": language, "question": question, "answer": answer}, actor=None)
