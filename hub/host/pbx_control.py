"""Call control on any node: click-to-call, transfers and queue pauses run on the PBX link.

Only the node holding a PBX's AMI lease has that link. A node that has it runs the action
itself; any other node sends it as a command (hub.host.commands) that the lease holder accepts,
runs, and answers with the AMI reply or the error, which is raised here again as the same
exception, so the API maps it the same way wherever the request landed. When no node holds
the link the command goes unanswered and that is `AmiNotConnected` (503).
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from connectors.asterisk import (
    AmiActionError,
    AmiConnectionLost,
    AmiError,
    AmiNotConnected,
    AmiTimeout,
    AsteriskConnector,
    CallNotLive,
)
from connectors.runner import ConnectorRunner
from hub.host.commands import Commands, CommandUnanswered, Payload
from hub.host.telephony import KIND

TOPIC = "pbx"
# How long a lease holder may take to pick a command up: past this, nobody holds the link.
ACCEPT_WITHIN_S = 2.0
Reply = dict[str, Any]


class PbxControl:
    def __init__(
        self, runner: ConnectorRunner, commands: Commands, accept_within: float = ACCEPT_WITHIN_S
    ) -> None:
        self.runner = runner
        self.commands = commands
        self.accept_within = accept_within
        commands.serve(TOPIC, self.accept)

    def _local(self, channel: str) -> AsteriskConnector | None:
        connector = self.runner.get(KIND, channel)
        if isinstance(connector, AsteriskConnector) and connector.connected:
            return connector
        return None

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
        idle = self.runner.get(KIND, channel)
        timeout = idle.pbx.action_timeout if isinstance(idle, AsteriskConnector) else 10.0
        try:
            reply = await self.commands.request(
                TOPIC,
                {"channel": channel, "op": op, "args": args},
                accept_within=self.accept_within,
                reply_within=timeout * 3 + 2,
            )
        except CommandUnanswered as exc:
            raise AmiNotConnected(f"asterisk {channel}: no node is connected to the PBX") from exc
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


async def _serve(connector: AsteriskConnector, op: str, args: dict[str, Any]) -> Payload:
    try:
        return {"result": await _execute(connector, op, args)}
    except (AmiError, CallNotLive, ValueError, KeyError, TypeError) as exc:
        return {"error": _encode(exc)}


async def _execute(connector: AsteriskConnector, op: str, args: dict[str, Any]) -> Reply:
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
    if isinstance(exc, AmiActionError):
        return {"kind": "action", "action": exc.action, "reply": dict(exc.reply)}
    kinds: list[tuple[type[Exception], str]] = [
        (AmiNotConnected, "not-connected"),
        (AmiConnectionLost, "not-connected"),
        (AmiTimeout, "timeout"),
        (AmiError, "ami"),
        (CallNotLive, "not-live"),
    ]
    kind = next((name for cls, name in kinds if isinstance(exc, cls)), "value")
    return {"kind": kind, "message": str(exc)}


def _decode(error: dict[str, Any]) -> Exception:
    kind, message = error.get("kind"), str(error.get("message", ""))
    if kind == "action":
        return AmiActionError(str(error.get("action", "?")), dict(error.get("reply") or {}))
    classes: dict[str, type[Exception]] = {
        "not-connected": AmiConnectionLost,
        "timeout": AmiTimeout,
        "ami": AmiError,
        "not-live": CallNotLive,
        "value": ValueError,
    }
    return classes.get(str(kind), AmiError)(message or "the PBX command failed")
