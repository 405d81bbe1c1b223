"""Review comments anchored to a passage of the version under review (W3C Web Annotation
selectors), threaded, resolved, and carried to later versions by re-anchoring their quote."""
