"""A faithful Jira Cloud and Data Center stand-in, served over HTTP on loopback."""
