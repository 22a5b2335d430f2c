"""A deterministic corpus of support-reply drafts for the benchmarks.

Drafts are assembled from sentence fragments written for this bench (greetings,
acknowledgements, apologies, policy talk, deflections, vague timelines, ownership steps with
times, facts, Slack markup, emoji and a little non-English), so that good and bad replies
both occur and lengths are spread from 50 to 2,000 characters.

Only the standard library is used; the same seed always gives the same corpus.

    from bench.corpus import generate_corpus, draft_of_length
    samples = generate_corpus()              # 5,000 Sample(id, text, customer, profile)
    text = draft_of_length(3_000, seed=7)    # one draft of ~3,000 characters
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

MIN_CHARS = 50
MAX_CHARS = 2_000
DEFAULT_SIZE = 5_000
DEFAULT_SEED = 20240611


@dataclass(frozen=True)
class Sample:
    """One benchmark case: the agent's draft and the customer's last message."""

    id: str
    text: str
    customer: str
    profile: str
    """``good``, ``bad``, ``mixed`` or ``foreign``: how the draft was assembled."""


# --------------------------------------------------------------------------------------------
# Values that fill the {placeholders} of the fragments.

FIRST_NAMES = (
    "Priya",
    "Tomasz",
    "Aoife",
    "Kwame",
    "Mei",
    "Lars",
    "Fatima",
    "Diego",
    "Hana",
    "Oluwaseun",
    "Ines",
    "Rory",
    "Yusuf",
    "Sofia",
    "Bartek",
    "Ngozi",
    "Elif",
    "Mateo",
    "Saanvi",
    "Jonas",
    "Chloé",
    "Ravi",
    "Agnieszka",
    "Sam",
    "Keanu",
    "Leila",
    "Björn",
    "Amara",
    "Tariq",
    "Zoë",
)
SURNAMES = (
    "Okafor",
    "Lindqvist",
    "Novak",
    "Brennan",
    "Rossi",
    "Adeyemi",
    "Nakamura",
    "Fernández",
    "O'Neill",
    "Kowalski",
    "Haddad",
    "Schmidt",
    "Mensah",
    "Dubois",
    "Petrov",
    "Chen",
)
TITLES = ("Mr", "Ms", "Mrs", "Dr", "Mx")
AGENTS = ("Jo", "Ana", "Malik", "Tess", "Ivo", "Grace", "Femi", "Lin", "Ola", "Kit")
PRODUCTS = (
    "Kestrel 2 headphones",
    "Alder floor lamp",
    "Marlow sofa",
    "Juniper wrap dress",
    "Ledgerleaf Pro plan",
    "Pixelforge licence",
    "Brook kettle",
    "Fjord winter jacket",
    "Halcyon router",
    "Orbit smart plug",
    "Tamarind cookbook",
    "Quill tablet",
)
TEAMS = (
    "billing",
    "the warehouse",
    "logistics",
    "the courier",
    "finance",
    "IT",
    "facilities",
    "the network team",
    "procurement",
    "the payments provider",
    "security",
    "the hotel",
)
EVENTS = (
    "a wedding on Saturday",
    "your board meeting at 2",
    "a flight tomorrow morning",
    "the school run",
    "a newborn at home",
    "payday still a week away",
    "guests arriving tonight",
)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
MONTHS = ("January", "March", "April", "June", "July", "September", "October", "November")
DOMAINS = ("help.example.com", "status.example.org", "shop.example.net", "acme.example.io")
PATHS = ("returns", "refunds/track", "orders", "kb/reset-password", "billing/invoices", "incident")
EMOJI = ("🙂", "🙏", "👍", "🎉", "😊", "✅", "📦", ":tada:", ":pray:", ":white_check_mark:")
LINK_TEXTS = ("this guide", "the tracking page", "your invoice", "status page", "here")
SLACK_IDS = ("U02ABCDEF", "U123", "U7QX91LM", "U0H4ZZ2P8", "U55TEAM01")


def _facts(rng: random.Random) -> dict[str, str]:
    """Fresh values for one draft, so facts are consistent within it."""
    hour = rng.choice((8, 9, 10, 11, 12, 1, 2, 3, 4, 5))
    ampm = "am" if 8 <= hour <= 11 else "pm"
    hour24 = hour + 12 if hour < 8 else hour
    domain = rng.choice(DOMAINS)
    path = rng.choice(PATHS)
    return {
        "name": rng.choice(FIRST_NAMES),
        "surname": rng.choice(SURNAMES),
        "title": rng.choice(TITLES),
        "agent": rng.choice(AGENTS),
        "product": rng.choice(PRODUCTS),
        "team": rng.choice(TEAMS),
        "event": rng.choice(EVENTS),
        "order": f"#{rng.randint(10_000, 999_999)}",
        "ticket": f"{rng.choice(('CS', 'INC', 'RT', 'FR'))}-{rng.randint(1_000, 99_999)}",
        "amount": f"{rng.choice(('£', '$', '€'))}{rng.randint(3, 1_900)}.{rng.randint(0, 99):02d}",
        "amount2": f"£{rng.randint(5, 400)}",
        "date": f"{rng.randint(1, 28)} {rng.choice(MONTHS)}",
        "isodate": f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        "weekday": rng.choice(WEEKDAYS),
        "clock": (
            f"{hour}{ampm}"
            if rng.random() < 0.6
            else f"{hour24}:{rng.choice(('00', '15', '30', '45'))}"
        ),
        "days": str(rng.randint(2, 21)),
        "minutes": str(rng.choice((5, 10, 15, 20, 30, 45))),
        "url": f"https://{domain}/{path}",
        "link": f"<https://{domain}/{path}|{rng.choice(LINK_TEXTS)}>",
        "mention": f"<@{rng.choice(SLACK_IDS)}>",
        "email": f"{rng.choice(('claims', 'support', 'returns', 'ops'))}@{domain}",
        "phone": f"0{rng.randint(1000, 9999)} {rng.randint(100000, 999999)}",
        "last4": str(rng.randint(1000, 9999)),
        "emoji": rng.choice(EMOJI),
        "version": f"{rng.randint(1, 9)}.{rng.randint(0, 20)}.{rng.randint(0, 9)}",
        "percent": f"{rng.choice((10, 15, 20, 25, 50))}%",
    }


# --------------------------------------------------------------------------------------------
# Sentence fragments. "Good" ones are warm and concrete; "bad" ones are the habits the rules
# look for. Neutral fragments carry facts and instructions.

GREETINGS = (
    "Hi {name},",
    "Hello {name},",
    "Hey {name}!",
    "Hi there,",
    "Good morning {name},",
    "Dear {title} {surname},",
    "Dear Customer,",
    "Dear valued customer,",
    "Hi {name} {emoji}",
    "{mention} hi!",
    "Hiya,",
    "Hello,",
    "Afternoon {name},",
    "Hi {title} {surname},",
)

ACKNOWLEDGEMENTS = (
    "Thanks for flagging this, {name}.",
    "I can see why that's frustrating, especially with {event}.",
    "That sounds really stressful, and I'm glad you told us.",
    "Thank you for letting me know about order {order}.",
    "I hear you: waiting {days} days for an answer is not okay.",
    "Oh no, that's not how your {product} should have arrived.",
    "I know how annoying it is when the app logs you out mid-task.",
    "That must have been a horrible surprise on your statement.",
    "Thanks for explaining what happened so clearly.",
    "I can imagine how worrying it is to see a charge you didn't expect.",
    "Ugh, that's a pain on a busy morning.",
    "Thanks for your patience while we looked into this.",
    "Thank you for reporting it; you've come to the right place.",
    "That's really tough timing, and I want to make this easier.",
)

HOLLOW = (
    "I understand your frustration, but the fee stands.",
    "We appreciate your patience, however this cannot be changed.",
    "I totally get it, but there is nothing more I can do.",
    "I understand that's inconvenient, however the check has to be completed first.",
    "We do understand, but the booking conditions are clear.",
)

APOLOGIES_GOOD = (
    "I'm sorry about the double charge of {amount}.",
    "I'm really sorry you received the wrong {product}.",
    "Sorry for the wait, {name}, and thank you for sticking with us.",
    "I'm so sorry we missed your delivery on {weekday}.",
    "I apologise; that mix-up was ours, not yours.",
    "Sorry, I didn't explain that clearly the first time.",
)

APOLOGIES_BAD = (
    "Sorry for the delay.",
    "We apologise for any inconvenience caused.",
    "Sorry again.",
    "Apologies for any confusion.",
    "My bad.",
    "Sorry about that.",
)

POLICY = (
    "As per our refund policy, refunds are only issued within 30 days of purchase.",
    "That's just how the system works.",
    "Rules are rules, I'm afraid.",
    "Unfortunately we are unable to make any exceptions.",
    "This is standard procedure for all accounts.",
    "In line with our terms and conditions, the deposit is non-refundable.",
    "It has to go through the ticket portal like every other request.",
    "Our policy doesn't allow us to change a booking after check-in.",
    "That's company policy and it applies to everyone.",
    "Change fees apply to all Saver fares under the fare rules.",
)

POLICY_OK = (
    "Our return window is 30 days, so I can't process a standard refund, but I can "
    "swap the {product} for you today.",
    "The policy says unused nights aren't refunded, but I've asked the manager for "
    "an exception and I'll tell you by {clock}.",
    "Unfortunately I can't waive the fee itself, but I've added a {amount2} credit to cover it.",
    "The terms don't cover accidental damage, so what I can do instead is offer a "
    "{percent} discount on a replacement.",
)

SYSTEM = (
    "The system won't let me change it.",
    "Our system shows the parcel as delivered at {clock}.",
    "Computer says no, unfortunately.",
    "The system says your payment failed.",
    "Our records show the {product} was dispatched on {date}.",
)

REFUSALS = (
    "Nope, that order is locked.",
    "We can't do that.",
    "That's not possible.",
    "I'm unable to override that status from my end.",
    "We don't offer refunds on sale items.",
    "Hand luggage only.",
)

DEFLECTIONS = (
    "You'll need to contact {team} about this.",
    "That's handled by {team}, not us.",
    "Please raise it with your bank.",
    "You would need to speak to the courier directly.",
    "That's really on {team} to sort out.",
    "Delivery issues sit with the carrier, they're the ones who'd investigate: {email}.",
    "It's a finance thing, so try them.",
    "Not our department.",
    "Contact the manufacturer.",
)

VAGUE = (
    "Someone will get back to you soon.",
    "It should be sorted in due course.",
    "This might take a while.",
    "We'll update you at some point.",
    "Hopefully it'll be back to normal before long.",
    "It will be fixed eventually.",
    "The team will look at it whenever they can.",
    "I couldn't say how long it will take.",
    "Expect a reply in the near future.",
)

OWNERSHIP = (
    "I'll call you at {clock} tomorrow with an update.",
    "I've refunded {amount} to your card ending {last4}; it should show within 3 working days.",
    "Let me look into that for you, and I'll message you by {clock} today.",
    "I've rebooked the engineer for {weekday} between 8am and 12pm, and I'll text "
    "you the name tonight.",
    "I've opened case {ticket} and I'll chase it myself until it's closed.",
    "I'll email you a prepaid label within the hour.",
    "I've sent a replacement {product} by next-day delivery; it will arrive by "
    "{clock} on {weekday}.",
    "I'm going to check the logs this afternoon and I'll post an update here by {clock}.",
    "I've credited {amount2} to your account as a goodwill gesture.",
    "I've contacted {team} myself, so you don't need to chase anyone, and I'll "
    "update you by {clock}.",
    "I'll keep an eye on the order and message you the moment it ships, no later than {weekday}.",
    "I've reset your password link; it's valid for the next {minutes} minutes.",
)

LEARN_GOOD = (
    "I've flagged this to {team} so it doesn't happen again.",
    "Thank you for telling us; it helps us fix this for other customers.",
    "I'm going to find out why this happened and let you know what we change.",
    "From now on your account is marked for a phone call before any visit.",
    "I've raised it with the product team, and your feedback really does help us improve.",
)

LEARN_BAD = (
    "Mistakes happen.",
    "These things happen from time to time.",
    "It's not our fault, the courier dropped the ball.",
    "Occasional dropouts are normal on any connection.",
    "It is what it is.",
    "From our side everything is working fine.",
    "The charge is correct.",
    "Nothing wrong on our end as far as I can see.",
)

AUTOMATION = (
    "Those emails are automated messages, nobody here actually sends them.",
    "Declines are triggered automatically by our fraud rules.",
    "The texts are generated by the scheduling platform.",
    "That's out of our control, it's all automatic.",
)

BLAME = (
    "You probably entered the wrong address.",
    "You should have read the terms before booking.",
    "If you had followed the instructions this wouldn't have happened.",
    "The template wasn't followed, which is why the import failed.",
    "That's user error, to be honest.",
    "Did you even check your spam folder?",
    "Please read the guide carefully before contacting us again.",
)

CONDESCENSION = (
    "As I already explained, the password needs one number.",
    "Obviously the parcel can't arrive before it's posted.",
    "Like I said, you need to restart the router.",
    "It's really simple: tap Settings and then Reset.",
    "Please calm down so I can help.",
    "Everyone knows you have to update the app first.",
    "For the last time, the offer has ended.",
    "Please refer to the FAQ.",
)

SHOUTING = (
    "PLEASE READ THE INSTRUCTIONS AGAIN.",
    "YOUR ORDER HAS ALREADY SHIPPED!!!",
    "THE OFFER ENDED ON {date}.",
    "Do NOT call us again about this!!",
)

CURT = ("No.", "Fine.", "Done.", "Whatever works.", "Read the email.", "Not possible. Sorry.")

FACTS = (
    "Your order {order} for {amount} shipped on {date}.",
    "Tracking is here: {url}",
    "The details are in {link}.",
    "Looping in {mention} from {team}.",
    "Invoice {ticket} is dated {isodate} and totals {amount}.",
    "Your {product} is covered until {date} next year.",
    "The reference for this chat is {ticket}.",
    "You can reach the night desk on {phone}.",
    "The fix is in version {version}, which is rolling out now.",
    "Your next bill will be {amount2}, down from {amount}.",
    "Our status page at {url} shows the incident as resolved.",
    "I've copied {email} so the warehouse sees this thread.",
    "{mention} can you confirm the refund went out for {order}?",
    "The {product} was delivered to the safe place at {clock} on {weekday}.",
)

INSTRUCTIONS = (
    "Go to Settings > Account > Security and tap Reset.",
    "Quit the app, reopen it and sign in once more.",
    "Run `vpnctl renew` in Terminal, then reconnect.",
    "Hold the power button for ten seconds until the light turns blue.",
    "Clear the browser cache, then open {url} again.",
    "Choose CSV in the Export menu and hit Download.",
    "Unplug the router, wait thirty seconds and plug it back in.",
    "Pick a new delivery slot on {link} and it will update straight away.",
)

OPTIONS = (
    "You've got two options: a full refund of {amount}, or a free exchange.",
    "If you'd rather, I can move the visit to {weekday} instead.",
    "Another option is collection from the depot, which is open until 8pm.",
    "Meanwhile, I've turned on wifi calling for your number.",
    "How about I hold the room for you until {clock}, so you can decide tonight?",
)

CLOSINGS = (
    "Let me know if there's anything else I can do.",
    "Have a lovely {weekday}!",
    "Best,\n{agent}",
    "Thanks,\n{agent} | Support",
    "Kind regards,\nCustomer Care",
    "Shout if you get stuck! {emoji}",
    "Take care, {name}.",
    "Regards,\nThe Support Team",
    "Cheers, {agent} {emoji}",
    "Any questions, just reply here.",
)

FOREIGN_BITS = (
    "Merci pour votre patience.",
    "¡Gracias por escribirnos!",
    "Vielen Dank für Ihre Geduld.",
    "Obrigado pela mensagem!",
    "Grazie mille, {name}.",
    "Tack för att du hörde av dig.",
)

FOREIGN_DRAFTS = (
    "Bonjour {name}, je suis désolée pour le retard de votre commande {order}. Je "
    "vous rappelle demain à {clock} avec une mise à jour.",
    "Hola {name}, siento mucho la confusión con el cobro de {amount}. Ya he "
    "solicitado el reembolso y le escribiré el {weekday}.",
    "Hallo {name}, vielen Dank für Ihre Nachricht. Ihre Bestellung {order} wurde "
    "heute versandt und kommt am {weekday} an.",
    "Olá {name}, lamento muito pelo problema. Já abri o pedido {ticket} e vou "
    "acompanhar pessoalmente.",
    "Ciao {name}, mi dispiace per l'attesa. Il rimborso di {amount} è stato emesso oggi.",
)

CUSTOMER_OPENERS = (
    "Hi,",
    "Hello?",
    "hey",
    "",
    "",
    "Excuse me,",
    "URGENT:",
    "Good afternoon.",
)
CUSTOMER_MESSAGES = (
    "My order {order} still hasn't arrived and it's been {days} days.",
    "You charged me twice for {amount}!! I need this fixed now.",
    "The {product} arrived broken. This is the second time.",
    "Can I change the delivery address for {order}?",
    "Why has my bill gone up to {amount2}? Nobody told me about this.",
    "I've been on hold for 40 minutes. This is ridiculous.",
    "How do I export my contacts to CSV?",
    "The app keeps logging me out every {minutes} minutes, super annoying.",
    "My engineer didn't turn up on {weekday} and I took the day off work.",
    "Is the wifi down on floor 3 or is it just me?",
    "I need a refund for the {product}, it doesn't fit.",
    "WHY IS MY ACCOUNT STILL LOCKED?",
    "Can you add me to the finance drive? I need it for {event}.",
    "Thanks for the quick help yesterday, one more question about invoice {ticket}.",
    "My flight is delayed and I'm going to miss my connection. What now?",
    "I'm really worried, someone used my card ending {last4}.",
    "Where is my refund? I was promised it last week.",
    "Do you ship to Norway?",
)
CUSTOMER_TAILS = ("", "", "Thanks.", "Please help.", "Any update?", "I'm fed up.", "{emoji}")

# Weighted categories per profile: (fragment pool, weight).
_POOLS = {
    "good": (
        (ACKNOWLEDGEMENTS, 3),
        (APOLOGIES_GOOD, 2),
        (OWNERSHIP, 5),
        (FACTS, 4),
        (INSTRUCTIONS, 3),
        (OPTIONS, 2),
        (LEARN_GOOD, 2),
        (POLICY_OK, 1),
    ),
    "bad": (
        (POLICY, 3),
        (DEFLECTIONS, 3),
        (VAGUE, 3),
        (BLAME, 2),
        (CONDESCENSION, 2),
        (LEARN_BAD, 2),
        (AUTOMATION, 1),
        (SYSTEM, 2),
        (REFUSALS, 2),
        (HOLLOW, 1),
        (APOLOGIES_BAD, 2),
        (SHOUTING, 1),
        (FACTS, 3),
        (INSTRUCTIONS, 1),
    ),
    "mixed": (
        (ACKNOWLEDGEMENTS, 2),
        (APOLOGIES_GOOD, 1),
        (APOLOGIES_BAD, 1),
        (OWNERSHIP, 3),
        (FACTS, 4),
        (INSTRUCTIONS, 2),
        (OPTIONS, 1),
        (LEARN_GOOD, 1),
        (POLICY, 1),
        (POLICY_OK, 1),
        (DEFLECTIONS, 1),
        (VAGUE, 1),
        (LEARN_BAD, 1),
        (SYSTEM, 1),
        (HOLLOW, 1),
        (CONDESCENSION, 1),
    ),
}
PROFILES = ("good", "bad", "mixed")


def _fill(fragment: str, facts: dict[str, str]) -> str:
    return fragment.format_map(facts)


def _customer(rng: random.Random, facts: dict[str, str]) -> str:
    parts = [rng.choice(CUSTOMER_OPENERS), _fill(rng.choice(CUSTOMER_MESSAGES), facts)]
    if rng.random() < 0.4:
        parts.append(_fill(rng.choice(CUSTOMER_MESSAGES), facts))
    parts.append(_fill(rng.choice(CUSTOMER_TAILS), facts))
    return " ".join(p for p in parts if p)


class _Builder:
    """Assembles one draft sentence by sentence with a house style (chat, email or Slack)."""

    def __init__(self, rng: random.Random, profile: str) -> None:
        self.rng = rng
        self.profile = profile
        self.facts = _facts(rng)
        self.style = rng.choice(("chat", "chat", "email", "slack"))
        pools = _POOLS[profile]
        self.pools = [pool for pool, _ in pools]
        self.weights = [weight for _, weight in pools]
        self.parts: list[str] = []
        self.length = 0
        self.used: set[str] = set()
        self._pending_sep = " "

    def _add(self, piece: str, sep: str) -> None:
        if self.parts:
            self.parts.append(sep)
            self.length += len(sep)
        self.parts.append(piece)
        self.length += len(piece)

    def sentence(self) -> str:
        rng = self.rng
        for _ in range(3):  # avoid repeating a fragment within one draft while that is easy
            pool = rng.choices(self.pools, self.weights)[0]
            fragment = rng.choice(pool)
            if fragment not in self.used:
                break
        self.used.add(fragment)
        text = _fill(fragment, self.facts)
        roll = rng.random()
        if roll < 0.04:
            text = f"{text} {_fill(rng.choice(FOREIGN_BITS), self.facts)}"
        elif roll < 0.10 and self.style != "email":
            text = f"{text} {self.facts['emoji']}"
        elif roll < 0.13:
            self.facts = {**self.facts, **_facts(rng)}  # a second order, amount, date...
        return text

    def separator(self) -> str:
        roll = self.rng.random()
        if self.style == "email" and roll < 0.25:
            return "\n\n"
        if self.style == "slack" and roll < 0.12:
            return "\n• "
        if roll < 0.05:
            return "\n"
        return " "

    def open(self) -> None:
        if self.rng.random() < (0.9 if self.style == "email" else 0.55):
            greeting = _fill(self.rng.choice(GREETINGS), self.facts)
            self.parts.append(greeting)
            self.length = len(greeting)
            self._pending_sep = "\n\n" if self.style == "email" else " "
        else:
            self._pending_sep = " "

    def grow_to(self, target: int) -> None:
        """Add sentences until the draft is at least ``target`` characters long."""
        first = True
        while self.length < target:
            sep = self._pending_sep if first else self.separator()
            first = False
            self._add(self.sentence(), sep)

    def close(self) -> None:
        if self.rng.random() < (0.85 if self.style == "email" else 0.35):
            sep = "\n\n" if self.style == "email" else " "
            self._add(_fill(self.rng.choice(CLOSINGS), self.facts), sep)

    def text(self) -> str:
        return "".join(self.parts).strip()


def _target_length(rng: random.Random) -> int:
    """A length between 50 and 2,000: mostly chat-sized, with a long tail of e-mails."""
    roll = rng.random()
    if roll < 0.15:
        return rng.randint(50, 120)
    if roll < 0.85:  # log-uniform over the bulk
        return int(math.exp(rng.uniform(math.log(120), math.log(900))))
    return rng.randint(900, 1_950)


def _trim(text: str, limit: int) -> str:
    """Cut ``text`` to at most ``limit`` characters, at a sentence or word boundary."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    for mark in (". ", "! ", "? ", "\n"):
        at = cut.rfind(mark)
        if at >= limit * 0.6:
            return cut[: at + 1].rstrip()
    at = cut.rfind(" ")
    return (cut[:at] if at > 0 else cut[: limit - 1]).rstrip(" ,;:-") + "."


def _draft(rng: random.Random, index: int) -> Sample:
    roll = rng.random()
    if roll < 0.02:  # a few replies written in another language altogether
        facts = _facts(rng)
        text = _fill(rng.choice(FOREIGN_DRAFTS), facts)
        return Sample(f"c{index:05d}", text, _customer(rng, facts), "foreign")
    if roll < 0.06:  # very short, curt replies
        facts = _facts(rng)
        text = f"{rng.choice(CURT)} {_fill(rng.choice(REFUSALS + VAGUE + DEFLECTIONS), facts)}"
        text = text if len(text) >= MIN_CHARS else f"{text} {_fill(rng.choice(FACTS), facts)}"
        return Sample(f"c{index:05d}", _trim(text, MAX_CHARS), _customer(rng, facts), "bad")
    profile = rng.choices(PROFILES, (4, 3, 3))[0]
    builder = _Builder(rng, profile)
    builder.open()
    builder.grow_to(_target_length(rng))
    builder.close()
    text = _trim(builder.text(), MAX_CHARS)
    while len(text) < MIN_CHARS:
        text = f"{text} {builder.sentence()}"
    return Sample(f"c{index:05d}", text, _customer(rng, builder.facts), profile)


def generate_corpus(size: int = DEFAULT_SIZE, seed: int = DEFAULT_SEED) -> list[Sample]:
    """Return ``size`` drafts (50-2,000 characters each); the same seed gives the same list."""
    rng = random.Random(seed)
    return [_draft(rng, i) for i in range(size)]


def draft_of_length(target: int, seed: int = 0, profile: str | None = None) -> str:
    """Return one draft of ``target`` characters (within a few characters), for scaling runs.

    Longer drafts simply have more sentences and paragraphs, built the same way as the corpus.
    """
    if target < 20:
        raise ValueError("target must be at least 20 characters")
    rng = random.Random(seed * 1_000_003 + target)
    builder = _Builder(rng, profile or rng.choice(PROFILES))
    builder.open()
    builder.grow_to(target)
    text = builder.text()
    if len(text) > target:  # end the last sentence early, at a word boundary
        cut = text[: target - 1]
        at = cut.rfind(" ")
        text = (cut[:at] if at > target // 2 else cut).rstrip(" ,;:-•\n") + "."
    while True:  # pad the last few characters with short words that fit
        room = target - len(text) - 1
        fitting = [word for word in _PADDING if len(word) <= room]
        if not fitting:
            return text
        text = f"{text} {rng.choice(fitting)}"


_PADDING = ("Thanks!", "Cheers.", "Best wishes.", "Speak soon.", "Thank you.", "OK.", "Yes.")


def customer_for(seed: int = 0) -> str:
    """Return a customer message to pair with :func:`draft_of_length` drafts."""
    rng = random.Random(seed)
    return _customer(rng, _facts(rng))
