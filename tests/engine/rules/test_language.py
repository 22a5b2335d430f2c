"""Tests for nudgebot.engine.rules.language: a fast guess at the language of a draft."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nudgebot.engine.rules.language import LanguageGuess, guess_language

# A realistic support reply in each covered Latin-script language.
REPLIES = {
    "en": (
        "Hi Priya, thanks for checking before sending them. I can swap your boots for the "
        "right size at no cost to you, and I'll email you a label within the hour."
    ),
    "es": (
        "Hola Lucía, gracias por escribirnos. Ya hemos enviado tu pedido y llegará mañana "
        "antes de las 14:00. Si no es así, responde a este mensaje y lo revisamos."
    ),
    "fr": (
        "Bonjour Madame, merci pour votre message. Nous avons remboursé votre commande "
        "aujourd’hui : vous le verrez sur votre compte sous trois jours."
    ),
    "de": (
        "Hallo Herr Müller, vielen Dank für Ihre Nachricht. Leider ist die Bestellung noch "
        "nicht angekommen, ich kümmere mich heute darum und melde mich bei Ihnen."
    ),
    "it": (
        "Buongiorno, grazie per averci scritto. Il rimborso del suo ordine è stato approvato "
        "e arriverà sul suo conto entro cinque giorni lavorativi."
    ),
    "pt": (
        "Olá João, obrigado pelo contato. O seu pedido já foi enviado e deve chegar amanhã "
        "à tarde. Se tiver qualquer problema, é só responder a este e-mail."
    ),
    "nl": (
        "Bedankt voor uw bericht. Wij hebben de bestelling vandaag verzonden en u ontvangt "
        "morgen een e-mail met de track-and-trace code."
    ),
    "sv": (
        "Hej Anna, tack för ditt meddelande. Vi har skickat din beställning idag och den "
        "kommer fram i morgon. Hör av dig om något inte stämmer."
    ),
    "da": (
        "Hej Søren, tak for din besked. Vi har sendt din bestilling i dag, og den er fremme "
        "i morgen. Desværre kan vi ikke gøre det hurtigere."
    ),
    "no": (
        "Hei Ola, takk for meldingen din. Vi har sendt bestillingen din i dag, og den kommer "
        "fram i morgen. Dessverre kan vi ikke gjøre det raskere."
    ),
    "pl": (
        "Dzień dobry, dziękujemy za wiadomość. Zamówienie zostało wysłane i będzie u Pana "
        "jutro. W razie pytań proszę odpisać na tę wiadomość. Pozdrawiam serdecznie."
    ),
    "tr": (
        "Merhaba, mesajınız için teşekkür ederiz. Siparişiniz bugün kargoya verildi ve yarın "
        "size ulaşacak. Başka bir sorunuz olursa lütfen bize yazın."
    ),
}

# Replies in non-Latin scripts, recognised by their script.
SCRIPTS = {
    "ja": "ご注文ありがとうございます。商品は明日お届けします。ご不便をおかけしてすみません。",
    "zh": "感谢您的来信，您的订单已经发货，明天送达。如有问题请随时联系我们。",
    "ko": "문의해 주셔서 감사합니다. 주문하신 상품은 내일 도착합니다.",
    "ru": "Здравствуйте! Спасибо за обращение, ваш заказ уже отправлен и прибудет завтра.",
    "ar": "شكرا لتواصلك معنا، تم شحن طلبك وسيصل غدا إن شاء الله.",
    "el": "Γεια σας, ευχαριστούμε για το μήνυμά σας. Η παραγγελία σας στάλθηκε σήμερα.",
    "he": "שלום, תודה על פנייתך. ההזמנה שלך נשלחה היום ותגיע מחר.",
    "hi": "नमस्ते, आपके संदेश के लिए धन्यवाद। आपका ऑर्डर आज भेज दिया गया है।",
    "th": "ขอบคุณสำหรับข้อความของคุณ คำสั่งซื้อของคุณจัดส่งแล้ววันนี้",
}


@pytest.mark.parametrize(("language", "text"), REPLIES.items())
def test_latin_script_languages(language: str, text: str) -> None:
    guess = guess_language(text)
    assert guess.language == language
    assert guess.english is (language == "en")
    assert 0.0 < guess.confidence <= 1.0


@pytest.mark.parametrize(("language", "text"), SCRIPTS.items())
def test_non_latin_scripts(language: str, text: str) -> None:
    guess = guess_language(text)
    assert guess == LanguageGuess(language, False, guess.confidence)
    assert guess.confidence >= 0.5


@pytest.mark.parametrize(
    "text",
    [
        # a quoted foreign phrase
        "Thanks Marie! As the French say, ‘c’est la vie’ — but I’ve fixed your order and "
        "it ships today.",
        # foreign names and places
        "Hi Sofía, I've rebooked you on the 07:05 tomorrow and reserved a room at the Hotel "
        "Bella Vista in São Paulo.",
        "Sorry Jürgen — I've refunded the €40 for your stay at Gästehaus Müller zum Löwen "
        "and it'll show in 3 days.",
        "Thanks, Дмитрий! Your order ships today from our warehouse in Leeds.",
        "I'm sorry — 東京 is out of stock, but I've reserved the Osaka model for you instead.",
        # Slack markup, links and code are not counted as words
        "<@U07HR2KQ1> done — I've reset it. Steps are on <https://wiki.example.com/x|the wiki>.",
    ],
)
def test_mostly_english_stays_english(text: str) -> None:
    guess = guess_language(text)
    assert guess.english
    assert guess.language == "en"


@pytest.mark.parametrize(
    "text",
    ["", "   ", "👍", "🙏🙏🎉", "55120", "£25 / 2024-11-01", "...", ":)", "<@U123>", "`x = 1`"],
)
def test_no_letters_is_undetermined_and_english_compatible(text: str) -> None:
    assert guess_language(text) == LanguageGuess("und", True, 0.0)


@pytest.mark.parametrize(
    "text",
    ["Done 👍", "Hola, ¿qué tal?", "Merci beaucoup !", "Danke schön", "Спасибо!", "ありがとう"],
)
def test_short_texts_are_undetermined_and_english_compatible(text: str) -> None:
    guess = guess_language(text)
    assert guess.english
    assert guess.language == "und"


def test_uncovered_latin_language_is_not_english() -> None:
    finnish = (
        "Kiitos viestistäsi. Tilauksesi on lähetetty tänään ja se saapuu huomenna perille. "
        "Ystävällisin terveisin asiakaspalvelu."
    )
    guess = guess_language(finnish)
    assert not guess.english
    assert guess.language == "und"


def test_terse_english_without_many_function_words() -> None:
    assert guess_language("Refund processed. Tracking number attached. Delivery Monday.").english


def test_guess_is_frozen() -> None:
    guess = guess_language("Thanks, I've sent it over to you today.")
    with pytest.raises(AttributeError):
        guess.language = "fr"  # type: ignore[misc]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_never_raises(text: str) -> None:
    guess = guess_language(text)
    assert 0.0 <= guess.confidence <= 1.0
    assert guess.language == "und" or len(guess.language) == 2
