"""Connector capabilities: which connectors offer which, the errors the hub maps without
knowing the connector, and those errors surviving the trip between nodes."""

from __future__ import annotations

import pytest

from connectors.asterisk import (
    AmiActionError,
    AmiConnectionLost,
    AmiError,
    AmiLoginError,
    AmiNotConnected,
    AmiTimeout,
)
from connectors.capabilities import (
    CallControl,
    CallControlError,
    CallControlRefused,
    CallControlTimeout,
    CallControlUnavailable,
    CallNotLive,
    FileFetch,
)
from connectors.registry import connector_class
from hub.host import pbx_control
from hub.host.telephony import has_call_control


def test_each_connector_offers_what_it_implements() -> None:
    offers = {
        kind: (
            issubclass(connector_class(kind), CallControl),
            issubclass(connector_class(kind), FileFetch),
        )
        for kind in ("asterisk", "telegram", "vk", "email", "webform", "widget")
    }
    assert offers == {
        "asterisk": (True, False),
        "telegram": (False, True),
        "vk": (False, True),
        "email": (False, False),
        "webform": (False, False),
        "widget": (False, False),
    }


def test_telephony_channels_are_found_by_capability() -> None:
    assert has_call_control("asterisk")
    assert not has_call_control("telegram")
    assert not has_call_control("no-such-kind")


def test_ami_errors_are_the_call_control_errors_the_hub_knows() -> None:
    assert isinstance(AmiNotConnected("down"), CallControlUnavailable)
    assert isinstance(AmiConnectionLost("dropped"), CallControlUnavailable)
    assert isinstance(AmiTimeout("slow"), CallControlTimeout)
    assert isinstance(AmiLoginError("bad secret"), CallControlError)
    assert not isinstance(AmiLoginError("bad secret"), CallControlUnavailable)
    refused = AmiActionError("Redirect", {"Response": "Error", "Message": "No such channel"})
    assert isinstance(refused, CallControlRefused) and isinstance(refused, AmiError)
    assert (refused.action, refused.reason) == ("Redirect", "No such channel")
    assert refused.reply == {"Response": "Error", "Message": "No such channel"}
    assert str(refused) == "AMI Redirect failed: No such channel"


@pytest.mark.parametrize(
    ("raised", "kind"),
    [
        (AmiNotConnected("asterisk pbx: no AMI connection"), CallControlUnavailable),
        (AmiConnectionLost("peer closed"), CallControlUnavailable),
        (AmiTimeout("Originate got no answer in 3s"), CallControlTimeout),
        (AmiLoginError("authentication failed"), CallControlError),
        (CallNotLive("call 1712.5 is not in progress on this PBX"), CallNotLive),
        (ValueError("'12a' cannot be dialled"), ValueError),
    ],
)
def test_an_error_on_the_lease_holder_is_raised_again_as_the_same_kind(
    raised: Exception, kind: type[Exception]
) -> None:
    again = pbx_control._decode(pbx_control._encode(raised))
    assert type(again) is kind
    assert str(again) == str(raised)


def test_a_refusal_keeps_the_pbx_reason_across_nodes() -> None:
    reply = {"Response": "Error", "Message": "Permission denied"}
    again = pbx_control._decode(pbx_control._encode(AmiActionError("Originate", reply)))
    assert isinstance(again, CallControlRefused)
    assert (again.action, again.reason, again.reply) == ("Originate", "Permission denied", reply)
    assert str(again) == "AMI Originate failed: Permission denied"
