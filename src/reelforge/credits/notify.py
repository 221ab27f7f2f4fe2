"""E-mails of the credits domain: a top-up request was approved or rejected.

Sent through the accounts domain's mailer (SMTP, or an .eml in data/outbox) after the
deciding transaction commits (`reelforge.db.outbox.after_commit`), in the user's language (the strings
are in credits.po). `mail.deliver` logs failures and never raises: the decision is
committed already, and the user also sees it on the credits page.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage

from reelforge import i18n
from reelforge.accounts import mail
from reelforge.config import Settings


@dataclass(frozen=True)
class TopupMail:
    to: str
    locale: str
    amount: int
    approved: bool
    memo: str
    balance: int


def compose(settings: Settings, m: TopupMail) -> EmailMessage:
    lang = i18n.normalize_locale(m.locale) or i18n.DEFAULT_LOCALE
    link = f"{settings.public_base_url}/credits"
    amount = i18n.format_number(m.amount, lang)
    balance = i18n.format_number(m.balance, lang)

    def _(message: str, **kw: object) -> str:
        return i18n.gettext(lang, message, **kw)

    if m.approved:
        subject = _("Your credit top-up was approved")
        body = _(
            "Your request for %(amount)s credits was approved. Your balance is now %(balance)s credits.",
            amount=amount,
            balance=balance,
        )
    else:
        subject = _("Your credit top-up was declined")
        body = _("Your request for %(amount)s credits was declined.", amount=amount)
    if m.memo:
        body += " " + _("Note from the admin: %(memo)s", memo=m.memo)
    footer = _("You can see every request and your credit history on the credits page.")
    text = f"{body}\n\n{link}\n\n{footer}\n"
    html = mail._html(subject, body, link, _("Open my credits"), footer)
    return mail._message(settings, m.to, subject, text, html)


def send_topup_decision(settings: Settings, m: TopupMail) -> None:
    mail.deliver(settings, compose(settings, m), link=f"{settings.public_base_url}/credits")
