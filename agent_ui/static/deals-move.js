// Moving a deal, from the board (drag, keys, menu) or the panel's stage list: the card moves
// at once; a refusal puts it back, a stale version (409) shows the deal as it now is and
// says so; a lost stage asks for the reason first. Every outcome is announced.

import { askLossReason } from "./deals-form.js";

export function makeMover({ api, t, board, panel, toast, announce, stageOf, showChanged }) {
  // Resolves to whether the deal moved.
  return async function moveDeal(dealId, stageId) {
    const card = board.card(dealId) || (panel.deal && panel.deal.id === dealId ? panel.deal : null);
    const stage = stageOf(stageId);
    if (!card || !stage || card.stage_id === stageId) return false;
    const body = { stage_id: stageId, version: card.version };
    if (stage.outcome === "lost") {
      const reason = await askLossReason(card.title);
      if (reason === null) {
        announce(t("deals.moveCancelled"));
        board.focusCard(dealId);
        return false;
      }
      body.loss_reason = reason;
    }
    const before = board.card(dealId);
    if (before) {
      board.put({ ...before, stage_id: stageId, stage_entered_at: new Date().toISOString(), days_in_stage: 0 },
        { change: "moved" });
      board.focusCard(dealId);
    }
    try {
      const deal = await api("POST", `/api/v1/deals/${dealId}/move`, body);
      showChanged(deal, "moved", card.stage_id);
      board.focusCard(dealId);
      announce(t("deals.moved", { title: deal.title, stage: stage.name }));
      if (panel.openId === dealId) panel.show(deal.history ? deal : await api("GET", "/api/v1/deals/" + dealId));
      return true;
    } catch (error) {
      if (error.status === 409) {
        const current = await api("GET", "/api/v1/deals/" + dealId).catch(() => null);
        if (current) {
          showChanged(current, "moved", null);
          if (panel.openId === dealId) panel.show(current);
        } else if (before) {
          board.put(before, { change: "moved" });
        }
        toast(t("deals.staleMove", { title: card.title }));
        announce(t("deals.staleMove", { title: card.title }));
      } else {
        if (before) board.put(before, { change: "moved" });
        const detail = Array.isArray(error.details) && error.details[0] ? error.details[0].message : "";
        toast(t("deals.moveFailed", { message: detail || error.message }));
        announce(t("deals.moveFailed", { message: detail || error.message }));
      }
      board.focusCard(dealId);
      return false;
    }
  };
}
