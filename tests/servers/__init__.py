"""Real servers started by the tests (Radicale for CalDAV), each on a free loopback port."""
