"""Strings of the admin pages' scripts (channels, operators), merged into JS_STRINGS.

Kept apart so the connector option labels and help texts do not crowd the workspace's list;
`option.<field>` labels a connector option of any kind, `optionHelp.<kind>.<field>` explains
one; a field without an entry falls back to its schema title.
"""

from __future__ import annotations

from .i18n import N_

ADMIN_JS_STRINGS: dict[str, str] = {
    "adminError.extension-taken": N_("This extension belongs to another active user."),
    "adminError.login-taken": N_("A user with this login exists already."),
    "adminError.cannot-change-self": N_("You cannot change your own role or switch yourself off."),
    "adminError.channel-exists": N_("A channel of this kind with this name exists already."),
    "adminError.no-such-team": N_("There is no such team."),
    "admin.secretStored": N_("Stored — leave empty to keep it."),
    "admin.secretPlaceholder": N_("stored"),
    "admin.mapKey": N_("Key"),
    "admin.mapValue": N_("Value"),
    "admin.mapRemove": N_("Remove row"),
    "admin.mapAdd": N_("+ Add row"),
    "admin.copy": N_("Copy"),
    "admin.copied": N_("Copied."),
    "admin.embedForm": N_("Put on the site's pages:"),
    "admin.embedWidget": N_("Put the chat on the site's pages:"),
    "admin.polling": N_("Okno fetches updates itself: no address needed."),
    "admin.webhook": N_("Webhook address:"),
    "admin.noAddress": N_("Okno connects to the server itself."),
    "admin.state.running": N_("Running"),
    "admin.state.stopped": N_("Not running"),
    "admin.state.disabled": N_("Disabled"),
    "admin.edit": N_("Edit"),
    "admin.disable": N_("Disable"),
    "admin.enable": N_("Enable"),
    "admin.editChannel": N_("Channel “{name}”"),
    "admin.addChannel": N_("New channel"),
    "admin.noTeam": N_("No team (shared queue)"),
    "admin.checkFields": N_("Please check the highlighted fields."),
    "admin.channelSaved": N_("Channel “{name}” saved."),
    "admin.confirmDisable": N_(
        "Disable the channel “{name}”? It stops receiving messages; its conversations and history stay, and it can be enabled again."  # noqa: E501
    ),
    "kindName.telegram": N_("Telegram"),
    "kindName.vk": N_("VK"),
    "kindName.email": N_("Email"),
    "kindName.webform": N_("Web form"),
    "kindName.widget": N_("Chat widget"),
    "kindName.asterisk": N_("Asterisk PBX"),
    "choice.name": N_("Name"),
    "choice.phone": N_("Phone"),
    "choice.email": N_("Email"),
    "choice.message": N_("Message"),
    "choice.consent": N_("Consent"),
    "option.host": N_("Host"),
    "option.port": N_("Port"),
    "option.username": N_("User name"),
    "option.secret": N_("Secret"),
    "option.extensions": N_("Extensions → operators"),
    "option.extension_pattern": N_("Extension pattern"),
    "option.phone_channel": N_("Operator's phone channel"),
    "option.queue_interface": N_("Queue member interface"),
    "option.originate_context": N_("Outgoing call context"),
    "option.transfer_context": N_("Transfer context"),
    "option.recording_variable": N_("Recording variable"),
    "option.recording_url_template": N_("Recording URL template"),
    "option.ping_interval": N_("Ping interval, s"),
    "option.action_timeout": N_("Action timeout, s"),
    "option.imap_host": N_("IMAP server"),
    "option.imap_port": N_("IMAP port"),
    "option.imap_ssl": N_("IMAP over TLS"),
    "option.smtp_host": N_("SMTP server"),
    "option.smtp_port": N_("SMTP port"),
    "option.smtp_starttls": N_("SMTP STARTTLS"),
    "option.smtp_ssl": N_("SMTP over TLS"),
    "option.smtp_auth": N_("SMTP login"),
    "option.password": N_("Password"),
    "option.address": N_("Mailbox address"),
    "option.from_name": N_("Sender name"),
    "option.mailbox": N_("IMAP folder"),
    "option.message_id_domain": N_("Message-ID domain"),
    "option.poll_interval_s": N_("Poll interval, s"),
    "option.idle_timeout_s": N_("IDLE renewal, s"),
    "option.timeout_s": N_("Command timeout, s"),
    "option.token": N_("Bot token"),
    "option.mode": N_("Mode"),
    "option.webhook_secret": N_("Webhook secret"),
    "option.webhook_url": N_("Public webhook URL"),
    "option.allow_groups": N_("Answer in group chats"),
    "option.api_base": N_("API server"),
    "option.poll_timeout": N_("Long poll wait, s"),
    "option.group_id": N_("Community ID"),
    "option.access_token": N_("Community access token"),
    "option.callback_secret": N_("Callback API secret key"),
    "option.confirmation_code": N_("Confirmation string"),
    "option.api_version": N_("API version"),
    "option.wait": N_("VK long poll wait, s"),
    "option.fetch_sender_names": N_("Look up sender names"),
    "option.allowed_origins": N_("Sites allowed to post the form"),
    "option.max_body_bytes": N_("Largest submission, bytes"),
    "option.rate_limit_per_minute": N_("Submissions per minute from one address"),
    "option.required_fields": N_("Required fields"),
    "option.thank_you_url": N_("Thank-you page"),
    "option.title": N_("Request subject prefix"),
    "option.trusted_proxy_hops": N_("Trusted proxies in front of Okno"),
    "optionHelp.telegram.token": N_("The token BotFather gave, like 123456789:AAF…"),
    "optionHelp.telegram.mode": N_(
        "polling: Okno asks Telegram for updates; webhook: Telegram posts them to Okno's public address."  # noqa: E501
    ),
    "optionHelp.telegram.webhook_secret": N_("Required in webhook mode: A–Z, a–z, 0–9, _ and -."),
    "optionHelp.telegram.webhook_url": N_(
        "When set, Okno registers it with Telegram (https only)."
    ),
    "optionHelp.telegram.api_base": N_("Only for a self-hosted Bot API server; leave empty."),
    "optionHelp.vk.mode": N_("callback: VK posts events to Okno; longpoll: Okno polls VK."),
    "optionHelp.vk.access_token": N_("A community key with the “messages” right."),
    "optionHelp.vk.callback_secret": N_(
        "Required in callback mode: the secret key from the community's Callback API settings."
    ),
    "optionHelp.vk.confirmation_code": N_(
        "Required in callback mode: the string VK asks the server to return."
    ),
    "optionHelp.email.address": N_("Replies are sent from this address."),
    "optionHelp.email.smtp_ssl": N_("TLS from the first byte (port 465); excludes STARTTLS."),
    "optionHelp.asterisk.username": N_("The AMI user from manager.conf."),
    "optionHelp.asterisk.extensions": N_(
        "Extension on the left, operator's login on the right. This map wins over the extension in an operator's profile."  # noqa: E501
    ),
    "optionHelp.asterisk.recording_url_template": N_(
        "Where recordings are listened to, with {file}, e.g. https://pbx.example/rec/{file}"
    ),
    "optionHelp.webform.allowed_origins": N_(
        "One per line, like https://example.ru; * allows every site."
    ),
    "optionHelp.webform.thank_you_url": N_(
        "Where a plain HTML form goes after sending; empty: Okno's own page."
    ),
    "optionHelp.webform.rate_limit_per_minute": N_("0 turns the limit off."),
    "users.col.extension": N_("Extension"),
    "users.col.max_conversations": N_("Capacity"),
    "users.col.skills": N_("Skills and languages"),
    "users.col.active": N_("Active"),
    "users.saving": N_("Saving…"),
    "users.saved": N_("Saved"),
    "users.invalid.extension": N_("Digits, * and # only, up to 20."),
    "users.invalid.max_conversations": N_("A number from 1 to 100."),
    "users.invalid.skills": N_("Up to 50 skills, separated by commas."),
    "role.operator": N_("Operator"),
    "role.supervisor": N_("Supervisor"),
    "role.admin": N_("Administrator"),
    "users.editTitle": N_("User “{name}”"),
    "users.addTitle": N_("New user"),
    "users.newPassword": N_("New password"),
    "users.password": N_("Password"),
    "users.passwordKeep": N_(
        "Leave empty to keep the current password. A new one logs the user out everywhere."
    ),
    "users.passwordRule": N_("At least 10 characters."),
    "users.savedUser": N_("“{name}” saved."),
}
