"""Emails about review assignments: notifications of workflow steps and the periodic reminders.

What is owed is always worked out from the database, never from a queue, so a message lost on the
way to the broker (or a worker that died) costs a delay, not an email:

| kind | owed for | sent to | key |
|---|---|---|---|
| ``assigned`` | an open assignment made lately (1) | the reviewer | once |
| ``cancelled`` | an assignment cancelled lately (1) whose reviewer was told of it | the reviewer | once |
| ``decided`` | a decision made lately (1) | the article's editors | once |
| ``voided`` | an approval voided lately (1) | the reviewer and the article's editors | once |
| ``due_soon`` | an open assignment due within REVIEW_DUE_SOON_HOURS (2) | the reviewer | once |
| ``overdue`` | an open assignment past its due date | the reviewer | the UTC date |
| ``escalation`` | an open assignment REVIEW_ESCALATE_AFTER_DAYS past due | the editors-in-chief | once |

(1) within the last NOTIFICATION_CATCH_UP_DAYS: older events are not announced late.
(2) and assigned before that window began: a reviewer given less notice learnt the date when assigned.

How an email goes out, in two steps (``sweep``, then ``delivery``; what each email says is in
``emails``, what is owed in ``owed``):

1. **The sweep claims and queues**, set-based: the ids of the owed assignments of each kind are
   read once, in primary-key order, as a stream, and loaded in batches of REMINDERS_BATCH_SIZE by
   primary key with everything the emails read, one query a batch; the emails are rendered; one
   ``INSERT ... ON CONFLICT DO NOTHING RETURNING`` claims their ``ReminderLog`` keys, and the
   claimed emails are written to the outbox as one message, in the claim's transaction. A key is
   therefore claimed once however often and however concurrently the sweep runs, and an email is
   owed to the outbox exactly when its claim committed. A run stops starting batches after
   REMINDERS_TIME_BUDGET_SECONDS and says so (``more``); the task queues the next run at once,
   which resumes where this one stopped because what is claimed is no longer owed.
2. **The outbox's consumer sends** each email in its own transaction: it marks the claim
   delivered (``delivered_at``) only if no one has, sends, and commits. A message published twice
   sends nothing twice (the second consumer waits on the row, then finds it delivered); a refusal
   by the mail server rolls the mark back, and so does a worker dying before the commit. Claims
   left undelivered for REMINDERS_REDELIVER_AFTER_MINUTES are handed to the outbox again by the
   sweep. The one gap is at-least-once, not exactly-once: if the process dies after the mail
   server accepted an email but before the commit, that email goes out again. No scheme can close
   it without the mail server taking part in the transaction; a duplicate reminder is the lesser
   harm than a lost one.
"""

from editorial.reminders.delivery import ALREADY_SENT, FAILED, send_emails
from editorial.reminders.emails import Owed, render_email
from editorial.reminders.owed import NOTIFICATION_KINDS, REMINDER_KINDS
from editorial.reminders.sweep import MORE, NO_RECIPIENT, REQUEUED, send_notifications, send_review_reminders

__all__ = [
    "ALREADY_SENT",
    "FAILED",
    "MORE",
    "NOTIFICATION_KINDS",
    "NO_RECIPIENT",
    "REMINDER_KINDS",
    "REQUEUED",
    "Owed",
    "render_email",
    "send_emails",
    "send_notifications",
    "send_review_reminders",
]
