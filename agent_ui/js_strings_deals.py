"""Strings of the deals pages' scripts (board, list, deal panel), merged into JS_STRINGS."""

from __future__ import annotations

from .i18n import N_

DEALS_JS_STRINGS: dict[str, str] = {
    "deals.count": N_("Deals in the stage"),
    "deals.sum": N_("Sum of the stage"),
    "deals.more": N_("Show more"),
    "deals.emptyColumn": N_("No deals"),
    "deals.cardRole": N_("deal card"),
    "deals.noResponsible": N_("No manager"),
    "deals.daysInStage": N_("{n} d in stage"),
    "deals.daysInStageTitle": N_("Days in this stage"),
    "deals.move": N_("Move"),
    "deals.moveTo": N_("Move to stage"),
    "deals.moveChoose": N_("Move “{title}” to “{stage}”? Enter moves, Escape cancels."),
    "deals.moveBack": N_("Back in “{stage}”: nothing to move."),
    "deals.moveCancelled": N_("The move is cancelled."),
    "deals.moved": N_("“{title}” moved to “{stage}”."),
    "deals.staleMove": N_(
        "Someone else has just changed “{title}”; the card shows it as it is now. Try again."
    ),
    "deals.moveFailed": N_("The deal was not moved: {message}"),
    "deals.created": N_("Deal “{title}” created."),
    "deals.fromConversation": N_(
        "From conversation No. {id}: its client and source are filled in."
    ),
    "deals.noPipelines": N_("There are no pipelines yet; an administrator sets them up."),
    "deals.pickContact": N_("Find a client by name or phone"),
    "deals.pickOrganisation": N_("Find an organisation by name or INN"),
    "deals.clearChoice": N_("Remove {name}"),
    "deals.nothingFound": N_("Nothing found"),
    "deals.loading": N_("Loading…"),
    "deals.notFound": N_("There is no such deal, or it is not yours to see."),
    "deals.changedElsewhere": N_(
        "Someone else has changed this deal; saving will show it as it is now."
    ),
    "deals.staleEdit": N_(
        "Someone else changed the deal first; here it is as it is now. Make your change again."
    ),
    "deals.saved": N_("Saved."),
    "deals.nothingChanged": N_("Nothing to save."),
    "deals.save": N_("Save"),
    "deals.field.stage": N_("Stage"),
    "deals.field.title": N_("Title"),
    "deals.field.amount": N_("Amount"),
    "deals.field.currency": N_("Currency"),
    "deals.field.contact": N_("Client"),
    "deals.field.organisation": N_("Organisation"),
    "deals.field.responsible": N_("Responsible"),
    "deals.field.expectedClose": N_("Expected close"),
    "deals.field.paymentDue": N_("Pay by"),
    "deals.field.paid": N_("Paid"),
    "deals.notPaid": N_("not yet"),
    "deals.paidMark": N_("paid"),
    "deals.lossReason": N_("Lost: {reason}"),
    "deals.links": N_("Client and conversations"),
    "deals.conversation": N_("Conversation No. {id}"),
    "deals.history": N_("Stage history"),
    "deals.historyNow": N_("{time} so far"),
    "deals.createdAt": N_("Created {when}"),
    "deals.closedAt": N_("closed {when}"),
    "deals.source": N_("source: {source}"),
    "deals.filter.anyone": N_("All managers"),
    "deals.filter.mine": N_("Mine"),
    "deals.filter.anyStage": N_("Any stage"),
    "deals.filter.outcome": N_("Outcome"),
    "deals.filter.stages": N_("Stages"),
    "deals.outcome.open": N_("Deals in progress"),
    "deals.outcome.won": N_("Won deals"),
    "deals.outcome.lost": N_("Lost deals"),
    "deals.totals": N_("{n} deals worth {sum}"),
    "dealTime.daysHours": N_("{d} d {h} h"),
    "dealSource.manual": N_("entered by hand"),
    "dealSource.import": N_("import"),
    "dealFlag.stalled": N_("No activity"),
    "dealFlag.overdue": N_("Overdue"),
}
