"""Self-declared enterprise standards: publication, revision, withdrawal, search and supervision."""
