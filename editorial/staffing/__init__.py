"""A review round's staffing: whether it has the reviewers it needs, and who is told when not.

- ``selectors``: the staffing state of a round (staffed, short of reviewers, needing a specialist),
  computed in one place for the API, the admin and the services, with who is excluded and why;
- ``services``: releasing the seats of members who can no longer review, and telling the
  editors-in-chief and the article's editors, exactly once per cause, when a round is stuck.
"""
