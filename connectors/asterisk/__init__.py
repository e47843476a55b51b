"""Asterisk AMI: the protocol (frames, panoramisk client) and the call model (tracker)."""

from .agents import AgentBoard, AgentState
from .ami import AmiClient, AmiSettings
from .amiproto import (
    AmiActionError,
    AmiConnectionLost,
    AmiError,
    AmiLoginError,
    AmiNotConnected,
    AmiTimeout,
)
from .calls import CallTracker
from .channels import PbxLayout
from .frames import Frame, FrameParser
from .link import AsteriskLink
from .model import Call, Direction, Outcome, TransferKind

__all__ = [
    "AgentBoard",
    "AgentState",
    "AmiActionError",
    "AmiClient",
    "AmiConnectionLost",
    "AmiError",
    "AmiLoginError",
    "AmiNotConnected",
    "AmiSettings",
    "AmiTimeout",
    "AsteriskLink",
    "Call",
    "CallTracker",
    "Direction",
    "Frame",
    "FrameParser",
    "Outcome",
    "PbxLayout",
    "TransferKind",
]
