"""SES e-mail identities, provisioned into moto and read back. (moto, like LocalStack, verifies an
address at once; AWS mails a link, which no test here can follow.)"""

from __future__ import annotations

import pytest

from harness.deploy.inputs import UnsupportedInput
from harness.deploy.provisioners import ses

IDENTITY = ses.EmailIdentity.type_token


def _identities(moto) -> list[str]:
    return moto.client("ses").list_identities(IdentityType="EmailAddress")["Identities"]


def test_an_identity_is_verified_kept_on_a_redeploy_replaced_for_another_address_and_deleted(moto, provisioned, unique):
    # An identity's only input is its address, which replaces it; the same input keeps it.
    address, other = f"{unique('sender')}@example.com", f"{unique('other')}@example.com"
    identity = provisioned.apply(IDENTITY, "sender", {"email": address})
    assert (identity.id, identity.outputs["arn"]) == (address, f"arn:aws:ses:us-east-1:123456789012:identity/{address}")
    status = moto.client("ses").get_identity_verification_attributes(Identities=[address])["VerificationAttributes"]
    assert status[address]["VerificationStatus"] == "Success"
    assert provisioned.apply(IDENTITY, "sender", {"email": address}).id == address

    provisioned.apply(IDENTITY, "sender", {"email": other})
    assert other in _identities(moto)
    assert address not in _identities(moto)

    provisioned.delete(IDENTITY, "sender")
    assert other not in _identities(moto)


def test_an_identity_input_not_applied_stops_the_deploy_naming_it(moto, provisioned, unique):
    address = f"{unique('strict')}@example.com"
    with pytest.raises(UnsupportedInput, match=r"^aws:ses/emailIdentity:EmailIdentity 'sender': .*'tags'"):
        provisioned.apply(IDENTITY, "sender", {"email": address, "tags": {"team": "photos"}})
    assert address not in _identities(moto)
