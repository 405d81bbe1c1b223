"""The review workflow: the only code that changes an article's review status.

Every function here is keyword-only, runs in one transaction, takes the acting user and a reason
(recorded on every history row it writes), and locks rows in one fixed order:

    the article  ->  its open review round  ->  the round's assignments (by id)  ->  board members (by id)

Every step on an article therefore queues behind any other step on the same article: two final
approvals arriving at once give one approval, and an approval racing a withdrawal gives one or the
other, never a mixture. Status moves go through the django-fsm-2 transitions declared on
``Article``, which hold the allowed sources, conditions and role permissions.

Reviewers and editors are told of the assignments, cancellations and decisions a step makes by
email, queued only once it commits (``editorial.notifications``).

Refusals raise the errors of ``editorial.exceptions`` (or Django's ``ValidationError`` for bad
field values) before anything is written.

The steps live in one module per part of the workflow and are all importable from here:

- ``rounds``: submit, withdraw, add_version (editors);
- ``assignments``: assign, reassign, auto_assign, extend_due_dates (editors), accept, decline
  (board members);
- ``decisions``: decide (board members);
- ``lifecycle``: retire, restore (editors-in-chief), expire (the scheduler), and what follows when an
  approval stops standing: lapse_approval, open_re_review;
- ``approvals``: applying the approval rules to a round (voiding what no longer counts) and to an
  article's open round and published approval (revalidate_article);
- ``common``: the locks, the quorum policy and running a transition, shared by all of them.
"""

from editorial.services.approvals import revalidate_article
from editorial.services.assignments import accept, assign, auto_assign, decline, extend_due_dates, reassign
from editorial.services.common import STATUS_FIELDS
from editorial.services.decisions import decide
from editorial.services.lifecycle import expire, lapse_approval, open_re_review, restore, retire
from editorial.services.rounds import add_version, submit, withdraw

__all__ = [
    "STATUS_FIELDS",
    "accept",
    "add_version",
    "assign",
    "auto_assign",
    "decide",
    "decline",
    "expire",
    "extend_due_dates",
    "lapse_approval",
    "open_re_review",
    "reassign",
    "restore",
    "revalidate_article",
    "retire",
    "submit",
    "withdraw",
]
