"""A fast guess at the language of a draft, so English-only rules are not run on other languages.

Texts in a non-Latin script (CJK, Cyrillic, Arabic, Greek, Hebrew, Devanagari, Thai...) are
recognised by their script. Texts in the Latin script are scored by the share of their words
that are common function words of English, Spanish, French, German, Italian, Portuguese,
Dutch, Swedish, Danish, Norwegian, Polish or Turkish, with a letter peculiar to a language
(``ñ``, ``ß``, ``ø``, ``ł``, ``ğ``...) as a tie-breaker.

The guess leans towards English: a short text (fewer than about four words), a text with no
letters (emoji, numbers) and a mostly-English draft that quotes a foreign phrase or names a
foreign place all count as English-compatible, so they are reviewed rather than rejected.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from itertools import repeat

__all__ = ["LanguageGuess", "guess_language"]


@dataclass(frozen=True)
class LanguageGuess:
    """The language of a text as an ISO 639-1 code ("und" when undetermined)."""

    language: str
    """ISO 639-1 code, or "und" when it cannot be told."""
    english: bool
    """True when English rules may be run on the text (English, or nothing against it)."""
    confidence: float
    """From 0 (a guess) to 1 (sure)."""


# --------------------------------------------------------------------------------------------
# Function words (lower case, straight apostrophes)
# --------------------------------------------------------------------------------------------


def _words(text: str) -> frozenset[str]:
    """Return the set of the whitespace-separated words of ``text``."""
    return frozenset(text.split())


_STOP_WORDS: dict[str, frozenset[str]] = {
    "en": _words(
        """
        the a an and or but of to in on at for with from by about as into is are was were be
        been being have has had do does did will would can could should may might must shall
        i you he she it we they me him her us them my your his its our their this that these
        those there here what which who whom when where why how not no yes if then so than too
        very just also all any some more most only please thanks thank sorry hi hello dear
        regards best kind i'm i'll i've i'd you're you've you'll we're we've we'll it's that's
        there's don't can't won't didn't doesn't isn't aren't wasn't let's today tomorrow
        soon now again still already order refund help know get sent check
        """
    ),
    "es": _words(
        """
        el la los las un una unos unas de del al y o pero que en con por para sin sobre es son
        está están estamos ha han he hemos su sus tu tus mi mis nuestro nuestra lo le les se me
        te nos no sí muy más ya también como cuando donde porque gracias hola saludos pedido
        reembolso usted ustedes hoy mañana puede podemos lamentamos disculpe estimado estimada
        atentamente este esta esto ese esa hay fue ser estar tiene tenemos cuenta envío
        """
    ),
    "pt": _words(
        """
        o a os as um uma de do da dos das em no na nos nas por para com sem e ou mas que se não
        sim é são está estão foi ser tem temos seu sua seus suas você vocês nós eu ele ela
        muito mais já também como quando onde porque obrigado obrigada olá pedido reembolso
        hoje amanhã pode podemos lamentamos desculpe prezado prezada atenciosamente este esta
        isso isto pelo pela ao à até há meu minha conta envio
        """
    ),
    "fr": _words(
        """
        le la les un une des du de d' l' et ou mais que qui en dans sur pour par avec sans est
        sont c'est ai a avons avez ont être été je j' tu il elle nous vous ils elles on ne pas
        n' plus très aussi déjà votre vos notre nos mon ma mes son sa ses ce cette ces merci
        bonjour cordialement commande remboursement aujourd'hui demain pouvez pouvons désolé
        désolée madame monsieur au aux si comme quand où parce qu' s' m' compte livraison
        """
    ),
    "de": _words(
        """
        der die das den dem des ein eine einen einem einer und oder aber nicht kein keine ist
        sind war waren hat haben habe wird werden kann können ich du er sie es wir ihr ihre
        ihren ihnen mich mir dich dir uns euch mit von zu zum zur bei nach für auf aus an im
        um über dass wenn wie was wo warum auch noch schon sehr nur danke vielen dank hallo
        guten tag grüße grüßen freundlichen bestellung rückerstattung heute morgen leider
        bitte gerne ihrem ihrer unser unsere sich diese dieser dieses konto lieferung
        """
    ),
    "it": _words(
        """
        il lo la i gli le un uno una di da in con su per tra fra e ed o ma non che chi è sono
        ha hanno ho abbiamo siamo del della dei delle al alla nel nella ci si mi ti vi lei noi
        voi questo questa grazie buongiorno salve cordiali saluti ordine rimborso sua suo tuo
        tua nostro nostra anche più molto già ancora quando dove come perché se oggi domani
        possiamo può puoi ecco prego scusi dispiace gentile conto consegna
        """
    ),
    "nl": _words(
        """
        de het een en of maar niet geen is zijn was waren heeft hebben heb wordt worden kan
        kunnen ik je jij u hij zij ze we wij jullie mij me ons onze uw jouw mijn met van voor
        naar op aan in om over bij uit dat die dit deze als wanneer hoe wat waar waarom ook
        nog al zeer erg heel alleen bedankt dank dankjewel hallo groeten vriendelijke
        bestelling terugbetaling vandaag morgen helaas graag alstublieft hier er wel nu zo
        """
    ),
    "sv": _words(
        """
        och i att det som en ett på är för med har av till den du vi jag kan om så men inte
        var ska vill din ditt dina dig mig oss er ni eller när från efter bara nu här också
        tack hej hälsningar vänliga tyvärr beställning återbetalning idag imorgon mycket
        redan någon något sin sitt sina vår våra vårt hur varför vad blir blev finns
        """
    ),
    "da": _words(
        """
        og i at det som en et på er for med har af til den du vi jeg kan om så men ikke var
        skal vil din dit dine dig mig os jer eller når fra efter bare nu her også tak hej
        hilsen venlig desværre bestilling ordre refusion mere meget noget nogen hvad hvordan
        hvorfor bliver blev vores jeres sig end hvis deres
        """
    ),
    "no": _words(
        """
        og i at det som en et ei på er for med har av til den du vi jeg kan om så men ikke
        var skal vil din ditt dine deg meg oss dere eller når fra etter bare nå her også takk
        hei hilsen vennlig dessverre bestilling ordre refusjon mer mye noe noen hva hvordan
        hvorfor blir ble vår våre vårt deres seg enn hvis
        """
    ),
    "pl": _words(
        """
        i w z na do nie się że jest to jak ale o co po od za przez dla tak czy już jeszcze
        tylko może bardzo mam pan pani państwa dziękuję dziękujemy proszę zamówienie
        zamówienia przesyłka dzień dobry witam pozdrawiam ze są być będzie został została
        było my wy oni ja ty on ona ten ta te który która które kiedy gdzie bo więc oraz lub
        albo konto zwrot
        """
    ),
    "tr": _words(
        """
        ve bir bu da de için ile çok ne ama gibi daha olarak sonra kadar var yok ben sen siz
        biz o mi mı mu mü teşekkürler teşekkür ederiz ederim lütfen merhaba sipariş
        siparişiniz hesabınız iade bilgi her şu ancak hemen size sizin bizim olan oldu olur
        değil evet hayır nasıl neden bugün yarın kargo
        """
    ),
}

# Letters peculiar to a language (or a few): one more point for it when any is in the text.
_LETTERS: dict[str, str] = {
    "es": "ñ¿¡",
    "pt": "ãõ",
    "fr": "œêëîïûç",
    "de": "ßäöü",
    "it": "òì",
    "sv": "äöå",
    "da": "æøå",
    "no": "æøå",
    "pl": "ąćęłńśźż",
    "tr": "ğış",
}

_LANGS = tuple(_STOP_WORDS)
_LETTER_HINTS = tuple((_LANGS.index(lang), frozenset(chars)) for lang, chars in _LETTERS.items())
_ALL_LETTERS = frozenset("".join(_LETTERS.values()))
# Each word maps to one integer holding a count of 1 in the 20-bit field of every language it
# belongs to, so the hits of all languages are added up in a single sum().
_BITS, _MASK = 20, (1 << 20) - 1
_SHIFTS = tuple(_BITS * i for i in range(len(_LANGS)))
_PACKED: dict[str, int] = {}
for _i, _lang in enumerate(_LANGS):
    for _word in _STOP_WORDS[_lang]:
        _PACKED[_word] = _PACKED.get(_word, 0) + (1 << (_BITS * _i))
_EN = _LANGS.index("en")

# --------------------------------------------------------------------------------------------
# Scripts
# --------------------------------------------------------------------------------------------

# (first, last, script) of the non-Latin blocks, sorted; a run of letters takes the script of
# its first letter.
_BLOCKS: tuple[tuple[int, int, str], ...] = tuple(
    sorted(
        (int(first, 16), int(last, 16), script)
        for script, ranges in (
            ("hangul", "1100-11ff 3130-318f ac00-d7af"),
            ("kana", "3040-30ff 31f0-31ff ff66-ff9f"),
            ("han", "3400-4dbf 4e00-9fff f900-faff"),
            ("cyrillic", "0400-052f"),
            ("greek", "0370-03ff 1f00-1fff"),
            ("hebrew", "0590-05ff"),
            ("arabic", "0600-06ff 0750-077f fb50-fdff fe70-feff"),
            ("devanagari", "0900-097f"),
            ("bengali", "0980-09ff"),
            ("gurmukhi", "0a00-0a7f"),
            ("gujarati", "0a80-0aff"),
            ("tamil", "0b80-0bff"),
            ("telugu", "0c00-0c7f"),
            ("kannada", "0c80-0cff"),
            ("malayalam", "0d00-0d7f"),
            ("sinhala", "0d80-0dff"),
            ("thai", "0e00-0e7f"),
            ("lao", "0e80-0eff"),
            ("myanmar", "1000-109f"),
            ("georgian", "10a0-10ff"),
            ("ethiopic", "1200-137f"),
            ("khmer", "1780-17ff"),
            ("armenian", "0530-058f"),
        )
        for first, last in (r.split("-") for r in ranges.split())
    )
)
_BLOCK_STARTS = [first for first, _, _ in _BLOCKS]
# One character class for all of them, so a Latin text is scanned in one quick pass.
_NON_LATIN = re.compile(
    "[" + "".join(f"{chr(first)}-{chr(last)}" for first, last, _ in _BLOCKS) + "]+"
)
_SCRIPT_LANGUAGE = {
    "hangul": "ko",
    "kana": "ja",
    "han": "zh",
    "cyrillic": "ru",
    "greek": "el",
    "hebrew": "he",
    "arabic": "ar",
    "devanagari": "hi",
    "bengali": "bn",
    "gurmukhi": "pa",
    "gujarati": "gu",
    "tamil": "ta",
    "telugu": "te",
    "kannada": "kn",
    "malayalam": "ml",
    "sinhala": "si",
    "thai": "th",
    "lao": "lo",
    "myanmar": "my",
    "georgian": "ka",
    "ethiopic": "am",
    "khmer": "km",
    "armenian": "hy",
}
# Scripts written without spaces between words: two characters count as a word.
_UNSPACED = frozenset({"han", "kana", "thai", "lao", "myanmar", "khmer"})

# Characters that part words; a handful of str.replace() calls is faster than a regex here.
_PUNCTUATION = '.,!?;:()[]"“”‘—–…/*_|~=+&'
_LETTER = re.compile(r"[^\W\d_]")
# Links, addresses, Slack markup and code are not prose in any language.
_SLACK = re.compile(r"<[^<>\n]*>")
_CODE = re.compile(r"`[^`]*`")
_URL = re.compile(r"https?://\S+|www\.\S+")
_HANDLE = re.compile(r"[@#][\w.-]+")

_MIN_WORDS = 4
# Function words are at least this share of the words of a real sentence in these languages.
_MIN_SHARE = 0.15
_UNDETERMINED = LanguageGuess("und", True, 0.0)


def guess_language(text: str) -> LanguageGuess:
    """Guess the language of ``text``; short texts and texts without letters are "und"."""
    text = _strip_markup(text)
    low = text.lower()
    for char in _PUNCTUATION:
        if char in low:
            low = low.replace(char, " ")
    if "’" in low:
        low = low.replace("’", "'")
    words = [w.strip("'") if "'" in w else w for w in low.split()] if "'" in low else low.split()
    if _LETTER.search(low) is None:
        return _UNDETERMINED  # emoji, numbers, punctuation
    if not text.isascii() and _NON_LATIN.search(text):
        guess = _by_script(text, len(words), len(_LETTER.findall(low)))
        if guess is not None:
            return guess
    if len(words) < _MIN_WORDS:
        return _UNDETERMINED
    return _by_words(text, words)


def _strip_markup(text: str) -> str:
    """Blank out what is not prose: Slack markup, code, links, e-mail domains, handles."""
    if "<" in text:
        text = _SLACK.sub(" ", text)
    if "`" in text:
        text = _CODE.sub(" ", text)
    if "://" in text or "www." in text:
        text = _URL.sub(" ", text)
    if "@" in text or "#" in text:
        text = _HANDLE.sub(" ", text)
    return text


def _by_script(text: str, n_words: int, letters: int) -> LanguageGuess | None:
    """Return the language of a text mostly written in one non-Latin script, if it is."""
    counts: dict[str, int] = {}
    for match in _NON_LATIN.finditer(text):
        run = match.group()
        i = 0
        while i < len(run):  # a run may cross from one script to the next ("漢字かな")
            code = ord(run[i])
            first, last, script = _BLOCKS[bisect_right(_BLOCK_STARTS, code) - 1]
            j = i + 1
            while j < len(run) and first <= ord(run[j]) <= last:
                j += 1
            counts[script] = counts.get(script, 0) + j - i
            i = j
    if not counts:
        return None
    unspaced = sum(n for script, n in counts.items() if script in _UNSPACED)
    script, count = max(counts.items(), key=lambda item: item[1])
    if count * 2 < letters:
        return None  # mostly Latin: a foreign name or phrase in a Latin-script text
    if n_words + unspaced // 2 < _MIN_WORDS:
        return _UNDETERMINED
    if script in ("han", "kana") and counts.get("kana"):
        script = "kana"  # Japanese mixes kanji and kana; Chinese has no kana
        count = counts["kana"] + counts.get("han", 0)
    return LanguageGuess(_SCRIPT_LANGUAGE[script], False, round(min(1.0, count / letters), 2))


def _by_words(text: str, words: list[str]) -> LanguageGuess:
    """Score a Latin-script text by its function words; lean towards English."""
    packed = sum(map(_PACKED.get, words, repeat(0)))
    if "'" in text or "’" in text:
        for word in words:
            if "'" in word and word not in _PACKED:  # c'est, l'ordine, qu'il
                head, _, tail = word.partition("'")
                packed += _PACKED.get(head + "'", 0) + _PACKED.get(tail, 0)
    hits = [(packed >> shift) & _MASK for shift in _SHIFTS]
    if not text.isascii():
        chars = set(text.lower())
        if not chars.isdisjoint(_ALL_LETTERS):
            for i, letters in _LETTER_HINTS:
                if not chars.isdisjoint(letters):
                    hits[i] += 1
    english = hits[_EN]
    best = max((i for i in range(len(_LANGS)) if i != _EN), key=hits.__getitem__)
    other = hits[best]
    n = len(words)
    if other >= 2 and other * 2 >= english * 3 + 1 and other >= _MIN_SHARE * n:
        runner_up = max(h for i, h in enumerate(hits) if i != best)
        confidence = min(1.0, 3 * other / n) * (other - runner_up + 1) / (other + 1)
        return LanguageGuess(_LANGS[best], False, round(confidence, 2))
    if n >= 12 and english < _MIN_SHARE / 2 * n:
        # A long text with (almost) no English function word: a language not covered here.
        return LanguageGuess("und", False, 0.5)
    if english == 0:
        return _UNDETERMINED
    confidence = min(1.0, 3 * english / n) * (english - other + 1) / (english + 1)
    return LanguageGuess("en", True, round(max(confidence, 0.0), 2))
