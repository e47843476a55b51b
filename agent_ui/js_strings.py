"""Every string the pages' scripts show, by key; translated per page into its JSON config.

Scripts never carry text of their own: `t("delivery.failed", {reason})` looks the key up
here, so the catalogs cover the scripts exactly as they cover the templates.
"""

from __future__ import annotations

from babel.support import Translations

from hub.reasons import TEMPLATES as REASON_TEMPLATES

from .i18n import N_
from .js_strings_absences import ABSENCE_JS_STRINGS
from .js_strings_admin import ADMIN_JS_STRINGS
from .js_strings_calls import CALL_JS_STRINGS
from .js_strings_clients import CLIENT_JS_STRINGS
from .js_strings_crm_admin import CRM_ADMIN_JS_STRINGS
from .js_strings_deals import DEALS_JS_STRINGS
from .js_strings_imports import IMPORT_JS_STRINGS
from .js_strings_mail import MAIL_JS_STRINGS
from .js_strings_reply_via import REPLY_VIA_JS_STRINGS
from .js_strings_reports import REPORTS_JS_STRINGS
from .js_strings_robots import ROBOTS_JS_STRINGS
from .js_strings_search import SEARCH_JS_STRINGS
from .js_strings_sla import SLA_JS_STRINGS
from .js_strings_tasks import TASKS_JS_STRINGS
from .js_strings_teams import TEAM_JS_STRINGS
from .js_strings_templates import TEMPLATE_JS_STRINGS
from .js_strings_webform import WEBFORM_JS_STRINGS
from .js_strings_workspace_day import WORKSPACE_DAY_JS_STRINGS

JS_STRINGS: dict[str, str] = {
    "conn.connecting": N_("Connecting…"),
    "conn.live": N_("Live"),
    "conn.offline": N_("Reconnecting…"),
    "error.generic": N_("Something went wrong: {message}"),
    "error.network": N_("No connection to the server."),
    "error.not-your-conversation": N_(
        "This conversation belongs to another operator; ask a supervisor to hand it over."
    ),
    "error.already-closed": N_("The conversation is closed already."),
    "error.already-open": N_("The conversation is open already."),
    "error.forbidden": N_("You may not do that."),
    "error.invalid-input": N_("The message is empty or too long."),
    "list.empty.mine": N_("You have no open conversations."),
    "list.empty.queue": N_("The queue is empty."),
    "list.empty.all": N_("No open conversations."),
    "list.notePrefix": N_("Note:"),
    "list.unassigned": N_("In the queue"),
    "list.waitingTitle": N_("The client has been waiting for an answer"),
    "contact.noName": N_("No name"),
    "contact.status.lead": N_("Lead"),
    "contact.status.client": N_("Client"),
    "thread.assignedTo": N_("Assigned to {name}"),
    "thread.assignedToYou": N_("Assigned to you"),
    "thread.inQueue": N_("In the queue"),
    "thread.closed": N_("Closed"),
    "message.client": N_("Client"),
    "message.operator": N_("Operator"),
    "message.system": N_("System"),
    "message.noteBy": N_("Note by {name}"),
    "message.edited": N_("edited"),
    "message.attachment": N_("Attachment: {name}"),
    "delivery.queued": N_("Queued"),
    "delivery.sent": N_("Sent"),
    "delivery.failed": N_("Not delivered: {reason}"),
    "composer.replyPlaceholder": N_("Reply to the client…"),
    "composer.notePlaceholder": N_("Internal note: the client will not see it…"),
    "composer.attach": N_("Attach files"),
    "composer.removeFile": N_("Remove {name}"),
    "composer.uploading": N_("Wait until the files finish uploading."),
    "error.file-too-large": N_("The file “{name}” is too large: at most {max}."),
    "error.upload-failed": N_("Could not upload “{name}”: {message}"),
    "file.bytes": N_("{n} B"),
    "file.kb": N_("{n} KB"),
    "file.mb": N_("{n} MB"),
    "identity.phone": N_("Phone"),
    "identity.email": N_("Email"),
    "identity.telegram": N_("Telegram"),
    "identity.vk": N_("VK"),
    "identity.web_visitor": N_("Web visitor"),
    "card.none": N_("None"),
    "card.responsible": N_("Manager: {name}"),
    "card.identities": N_("Contacts"),
    "card.organisations": N_("Organisations"),
    "card.openDeals": N_("Open deals"),
    "card.leads": N_("Lead source"),
    "card.lastContacts": N_("Last contacts"),
    "card.inn": N_("INN {inn}"),
    "card.leadFrom": N_("Channel: {source}"),
    "channelKind.webform": N_("the website form"),
    "channelKind.telegram": N_("Telegram"),
    "channelKind.vk": N_("VK"),
    "channelKind.email": N_("email"),
    "channelKind.phone": N_("a phone call"),
    "source.page_url": N_("Page"),
    "source.referrer": N_("Came from"),
    "source.utm_source": N_("UTM source"),
    "source.utm_medium": N_("UTM medium"),
    "source.utm_campaign": N_("UTM campaign"),
    "source.utm_content": N_("UTM content"),
    "source.utm_term": N_("UTM term"),
    "source.ref": N_("VK referral (ref)"),
    "source.ref_source": N_("VK referral source (ref_source)"),
    "presence.online": N_("Online"),
    "presence.away": N_("Away"),
    "presence.offline": N_("Offline"),
    "board.answered": N_("Answered"),
    "board.openCount": N_("{n} of {max} open"),
    "time.justNow": N_("just now"),
    "time.minutes": N_("{m} min"),
    "time.hoursMinutes": N_("{h} h {m} min"),
    "time.days": N_("{d} d"),
    "field.name": N_("Name"),
    "field.phone": N_("Phone"),
    "field.email": N_("Email"),
    "field.message": N_("Message"),
    "field.consent": N_("I agree to the processing of my personal data"),
    "form.send": N_("Send"),
    "form.sending": N_("Sending…"),
    "form.received": N_("Your request No. {n} has been received."),
    "form.receivedNoNumber": N_("Your request has been received."),
    "form.statusLink": N_("Follow the answer to your request"),
    "form.needContact": N_("Please give a phone number or an email."),
    "form.badPhone": N_("The phone number is not valid."),
    "form.badEmail": N_("The e-mail address is not valid."),
    "form.needConsent": N_("Please agree to the processing of your personal data."),
    "form.checkFields": N_("Please check the highlighted fields."),
    "form.tooLong": N_("The message is too long."),
    "form.tooMany": N_("Too many requests. Please try again in a minute."),
    "form.failed": N_("Could not send the request. Please try again."),
    "widget.open": N_("Chat with us"),
    "widget.close": N_("Close the chat"),
    "widget.online": N_("We are online"),
    "widget.offline": N_("We are offline now"),
    "widget.offlineIntro": N_(
        "Nobody can answer right now. Leave a message and a phone or e-mail, "
        "and we will get back to you."
    ),
    "widget.placeholder": N_("Type a message…"),
    "widget.send": N_("Send the message"),
    "widget.sending": N_("Sending"),
    "widget.sent": N_("Delivered"),
    "widget.read": N_("Seen"),
    "widget.failed": N_("Not sent"),
    "widget.typing": N_("{name} is typing…"),
    "widget.typingAnon": N_("The operator is typing…"),
    "widget.operator": N_("Operator"),
    "widget.leaveContacts": N_("Leave your contacts"),
    "widget.contactsIntro": N_("We will answer here, or call or write to you."),
    "widget.name": N_("Your name"),
    "widget.phone": N_("Phone number"),
    "widget.email": N_("E-mail"),
    "widget.message": N_("Your message"),
    "widget.submit": N_("Send"),
    "widget.cancel": N_("Cancel"),
    "widget.needContact": N_("Give a phone number or an e-mail."),
    "widget.needName": N_("Give your name."),
    "widget.needText": N_("Write a message."),
    "widget.contactsSaved": N_("Thank you! We have your contacts."),
    "widget.requestSent": N_("Thank you! Your message has been received; we will get back to you."),
    "widget.contactDetails": N_("Contacts left: {details}"),
    "widget.tooLong": N_("The message is too long: at most {limit} characters."),
    "widget.rateLimited": N_("Too many messages at once. Please wait a little."),
    "widget.error": N_("Could not send: {message}"),
    "widget.reconnecting": N_("Connecting…"),
    "widget.unread": N_("New messages: {n}"),
    "widget.welcome": N_("Hello! Ask us anything, we will answer here."),
    "widget.history": N_("Earlier messages"),
    "delivery.read": N_("Read"),
    "thread.typing": N_("The client is typing…"),
    "message.contactDetails": N_("Visitor left contact details: {details}"),
    "channelKind.widget": N_("the website chat"),
}


JS_STRINGS.update(ADMIN_JS_STRINGS)
JS_STRINGS.update(CALL_JS_STRINGS)
JS_STRINGS.update(DEALS_JS_STRINGS)
JS_STRINGS.update(CLIENT_JS_STRINGS)
JS_STRINGS.update(MAIL_JS_STRINGS)
JS_STRINGS.update(TASKS_JS_STRINGS)
JS_STRINGS.update(ABSENCE_JS_STRINGS)
JS_STRINGS.update(CRM_ADMIN_JS_STRINGS)
JS_STRINGS.update(ROBOTS_JS_STRINGS)
JS_STRINGS.update(IMPORT_JS_STRINGS)
JS_STRINGS.update(WEBFORM_JS_STRINGS)
JS_STRINGS.update(WORKSPACE_DAY_JS_STRINGS)
JS_STRINGS.update(REPORTS_JS_STRINGS)
JS_STRINGS.update(TEMPLATE_JS_STRINGS)
JS_STRINGS.update(SEARCH_JS_STRINGS)
JS_STRINGS.update(TEAM_JS_STRINGS)
JS_STRINGS.update(REPLY_VIA_JS_STRINGS)
JS_STRINGS.update(SLA_JS_STRINGS)


def js_strings(translations: Translations) -> dict[str, str]:
    return {key: str(translations.gettext(message)) for key, message in JS_STRINGS.items()}


# Routing reasons: the hub records them as codes with parameters (hub/reasons.py, whose
# English templates are the msgids); the workspace renders them in the page's language.
JS_STRINGS.update({f"reason.{code}": template for code, template in REASON_TEMPLATES.items()})
