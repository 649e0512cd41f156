"""Moodle's LTI 1.3 launch decides who teaches: its roles become hub groups.

A learner who opens Jisr from a Moodle course arrives with an ``id_token`` whose
roles claim says Learner or Instructor. ``post_auth_hook`` turns it into the hub
group ``instructors`` or ``learners`` (with ``Authenticator.manage_groups``), and
``role_environment`` tells the single-user server which nbgrader tools to show:
the formgrader and the assignment editor for instructors only.

>>> groups_from_claims({ROLES_CLAIM: [INSTRUCTOR]})
['instructors']
>>> groups_from_claims({ROLES_CLAIM: ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"]})
['learners']
>>> groups_from_claims({})
['learners']
"""

from __future__ import annotations

from typing import Any, Iterable

ROLES_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/roles"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
# Moodle sends the context role for teachers and, for site administrators, the institution and system roles
TEACHING_ROLES = {
    INSTRUCTOR,
    "http://purl.imsglobal.org/vocab/lis/v2/membership#ContentDeveloper",
    "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Instructor",
    "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator",
    "http://purl.imsglobal.org/vocab/lis/v2/system/person#Administrator",
}
INSTRUCTORS, LEARNERS = "instructors", "learners"


def groups_from_claims(claims: dict[str, Any]) -> list[str]:
    """The hub group of the person an LTI 1.3 ``id_token`` describes (anyone not teaching learns)."""
    roles = claims.get(ROLES_CLAIM) or []
    if isinstance(roles, str):
        roles = [roles]
    return [INSTRUCTORS] if TEACHING_ROLES.intersection(roles) else [LEARNERS]


def post_auth_hook(authenticator: Any, handler: Any, authentication: dict[str, Any]) -> dict[str, Any]:
    """``Authenticator.post_auth_hook``: the LTI roles of this launch become the user's hub groups."""
    claims = authentication.get("auth_state") or {}
    return {**authentication, "groups": groups_from_claims(claims)}


def role_environment(groups: Iterable[str]) -> dict[str, str]:
    """The single-user server's environment for a member of ``groups`` (read by the image's start script).

    >>> role_environment(["learners"])
    {'JISR_ROLE': 'learner'}
    """
    return {"JISR_ROLE": "instructor" if INSTRUCTORS in set(groups) else "learner"}
