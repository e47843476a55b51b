"""What the test AMI server answers to actions outside its script: the replies Asterisk 22
gives (messages as in the recordings), the list actions with an empty list."""

from __future__ import annotations

Action = dict[str, str]

MESSAGES = {
    "Redirect": "Redirect successful",
    "BlindTransfer": "Transfer succeeded",
    "Atxfer": "Atxfer successfully queued",
    "QueuePause": "Interface paused successfully",
}


def frame(*lines: str) -> bytes:
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def default_reply(action: Action, credentials: tuple[str, str]) -> list[bytes]:
    name = action.get("Action", "")
    aid = f"ActionID: {action.get('ActionID', '')}"
    ok = ("Response: Success", aid)
    if name == "Ping":
        return [frame(*ok, "Ping: Pong", "Timestamp: 1795375000.000000")]
    if name == "Login":
        if (action.get("Username"), action.get("Secret")) != credentials:
            return [frame("Response: Error", aid, "Message: Authentication failed")]
        return [
            frame(*ok, "Message: Authentication accepted"),
            frame("Event: FullyBooted", "Privilege: system,all", "Status: Fully Booted"),
        ]
    if name == "Logoff":
        return [frame("Response: Goodbye", aid, "Message: Thanks for all the fish.")]
    if name == "CoreShowChannels":
        return [
            frame(*ok, "EventList: start", "Message: Channels will follow"),
            frame("Event: CoreShowChannelsComplete", aid, "EventList: Complete", "ListItems: 0"),
        ]
    if name == "QueueStatus":
        return [
            frame(*ok, "EventList: start", "Message: Queue status will follow"),
            frame("Event: QueueStatusComplete", aid, "EventList: Complete", "ListItems: 0"),
        ]
    if name == "Originate":
        # Queued, then failed: nothing answers on a test channel.
        failed = [
            "Event: OriginateResponse", "Privilege: call,all", aid, "Response: Failure",
            f"Channel: {action.get('Channel', '')}", f"Context: {action.get('Context', '')}",
            f"Exten: {action.get('Exten', '')}", "Application: ", "Data: ", "Reason: 0",
            "Uniqueid: <null>", "CallerIDNum: <unknown>", "CallerIDName: <unknown>",
        ]  # fmt: skip
        return [frame(*ok, "Message: Originate successfully queued"), frame(*failed)]
    if name in MESSAGES:
        message = MESSAGES[name]
        if name == "QueuePause" and action.get("Paused") == "false":
            message = "Interface unpaused successfully"
        return [frame(*ok, f"Message: {message}")]
    unknown = (
        f"Message: Invalid/unknown command: {name}. "
        "Use Action: ListCommands to show available commands."
    )
    return [frame("Response: Error", aid, unknown)]
