"""Call control on any node: click-to-call, transfers and queue pauses run on the PBX link.

Only the node holding a PBX's lease has that link. A node that has it runs the action itself
through the channel's CallControl connector; any other node sends it as a command
(hub.host.commands) that the lease holder accepts, runs, and answers with the PBX's reply or
the error, which is raised here again as the same kind of CallControlError, so the API maps it
the same way wherever the request landed. When no node holds the link the command goes
unanswered and that is `CallControlUnavailable` (503).
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from connectors.capabilities import (
    CallControl,
    CallControlError,
    CallControlRefused,
    CallControlTimeout,
    CallControlUnavailable,
    CallNotLive,
)
from connectors.runner import ConnectorRunner
from hub.host.commands import Commands, CommandUnanswered, Payload
from hub.host.telephony import call_control_named

TOPIC = "pbx"
# How long a lease holder may take to pick a command up: past this, nobody holds the link.
ACCEPT_WITHIN_S = 2.0
# A PBX action's own time limit, when this node does not run the channel to ask it.
DEFAULT_ACTION_TIMEOUT_S = 10.0
Reply = dict[str, Any]


class PbxControl:
    def __init__(
        self, runner: ConnectorRunner, commands: Commands, accept_within: float = ACCEPT_WITHIN_S
    ) -> None:
        self.runner = runner
        self.commands = commands
        self.accept_within = accept_within
        commands.serve(TOPIC, self.accept)

    def _local(self, channel: str) -> CallControl | None:
        connector = call_control_named(self.runner, channel)
        return connector if connector is not None and connector.link_up() else None

    async def originate(self, channel: str, extension: str, number: str) -> Reply:
        return await self._run(channel, "originate", {"extension": extension, "number": number})

    async def transfer(
        self,
        channel: str,
        linkedid: str,
        target: str,
        *,
        attended: bool,
        operator_extension: str | None,
    ) -> Reply:
        args = {
            "linkedid": linkedid,
            "target": target,
            "attended": attended,
            "operator_extension": operator_extension,
        }
        return await self._run(channel, "transfer", args)

    async def pause(self, channel: str, extension: str, paused: bool, reason: str | None) -> Reply:
        args = {"extension": extension, "paused": paused, "reason": reason}
        return await self._run(channel, "pause", args)

    async def _run(self, channel: str, op: str, args: dict[str, Any]) -> Reply:
        connector = self._local(channel)
        if connector is not None:
            return await _execute(connector, op, args)
        # A node without the lease still runs the channel's connector (idle): its options.
        idle = call_control_named(self.runner, channel)
        timeout = idle.action_timeout() if idle is not None else DEFAULT_ACTION_TIMEOUT_S
        try:
            reply = await self.commands.request(
                TOPIC,
                {"channel": channel, "op": op, "args": args},
                accept_within=self.accept_within,
                reply_within=timeout * 3 + 2,
            )
        except CommandUnanswered as exc:
            raise CallControlUnavailable(f"{channel}: no node is connected to the PBX") from exc
        if "error" in reply:
            raise _decode(reply["error"])
        result: Reply = reply.get("result", {})
        return result

    def accept(self, payload: Payload) -> Awaitable[Payload] | None:
        """The command handler: taken when this node's link to that PBX is up."""
        connector = self._local(str(payload.get("channel", "")))
        if connector is None:
            return None
        return _serve(connector, str(payload.get("op", "")), dict(payload.get("args") or {}))


async def _serve(connector: CallControl, op: str, args: dict[str, Any]) -> Payload:
    try:
        return {"result": await _execute(connector, op, args)}
    except (CallControlError, ValueError, KeyError, TypeError) as exc:
        return {"error": _encode(exc)}


async def _execute(connector: CallControl, op: str, args: dict[str, Any]) -> Reply:
    if op == "originate":
        frame = await connector.originate(str(args["extension"]), str(args["number"]))
        return {"reply": dict(frame)}
    if op == "transfer":
        frame = await connector.transfer(
            str(args["linkedid"]),
            str(args["target"]),
            attended=bool(args["attended"]),
            operator_extension=args.get("operator_extension"),
        )
        return {"reply": dict(frame)}
    if op == "pause":
        frames = await connector.pause(
            str(args["extension"]), bool(args["paused"]), reason=args.get("reason")
        )
        return {"replies": [dict(frame) for frame in frames]}
    raise ValueError(f"unknown PBX command {op!r}")


def _encode(exc: Exception) -> dict[str, Any]:
    if isinstance(exc, CallControlRefused):
        return {
            "kind": "refused",
            "action": exc.action,
            "reason": exc.reason,
            "reply": exc.reply,
            "message": str(exc),
        }
    # The most specific first: every one of them is a CallControlError.
    kinds: list[tuple[type[Exception], str]] = [
        (CallControlUnavailable, "not-connected"),
        (CallControlTimeout, "timeout"),
        (CallNotLive, "not-live"),
        (CallControlError, "failed"),
    ]
    kind = next((name for cls, name in kinds if isinstance(exc, cls)), "value")
    return {"kind": kind, "message": str(exc)}


def _decode(error: dict[str, Any]) -> Exception:
    kind, message = error.get("kind"), str(error.get("message", ""))
    if kind == "refused":
        refused = CallControlRefused(
            str(error.get("action", "?")),
            str(error.get("reason") or "no reason given"),
            dict(error.get("reply") or {}),
        )
        # The lease holder's words for it, so both nodes log the same message.
        refused.args = (message or str(refused),)
        return refused
    classes: dict[str, type[Exception]] = {
        "not-connected": CallControlUnavailable,
        "timeout": CallControlTimeout,
        "failed": CallControlError,
        "not-live": CallNotLive,
        "value": ValueError,
    }
    return classes.get(str(kind), CallControlError)(message or "the PBX command failed")
