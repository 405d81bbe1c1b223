"""The integrity of the "approved by the Medical Advisory Board" badge.

The rules an approval must meet live in ``editorial.eligibility``; the workflow services apply
them whenever a round could close (``editorial.services.approvals``). This package applies them
whenever something *later* could make an approval untrue, and audits the result:

- ``revalidation``: re-checks the approvals a board member gave that still matter (in open rounds,
  and behind what the site shows) when their standing changes, and once a day for what the
  calendar alone changes (credentials lapsing, a declared conflict coming into force);
- ``receivers``: the signal handlers that start those checks at once, whatever path made the
  change (the admin, a script, a future API): a conflict of interest declared, a member or their
  user saved, the board-member role taken away, an article reclassified;
- ``audit``: ``verify_approvals``, which re-checks every article that shows an approval against
  the rules and the stored content hashes, and reports each violation.
"""
