"""wirewatch's pure core: parse, normalise, fingerprint, dedup, tag, detect, alert. No I/O, no clock."""
