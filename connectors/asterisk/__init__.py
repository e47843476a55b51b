"""Asterisk AMI: the protocol (frames, panoramisk client), the call model (tracker) and the
connector that feeds the hub and carries its call-control actions."""

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
from .connector import AsteriskConnector
from .frames import Frame, FrameParser
from .link import AsteriskLink
from .model import Call, Direction, Outcome, TransferKind
from .options import AsteriskOptions

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
    "AsteriskConnector",
    "AsteriskLink",
    "AsteriskOptions",
    "Call",
    "CallTracker",
    "Direction",
    "Frame",
    "FrameParser",
    "Outcome",
    "PbxLayout",
    "TransferKind",
]
