"""Who sent a request (serving/clients.py): the one answer for the guard, the queue, the corrections and MCP."""

from __future__ import annotations

import pytest

from serving.clients import CALLER_HEADER, client_address, normalised, scope_client, sender_key, signed


@pytest.mark.parametrize(
    ("lines", "proxies", "expected"),
    [
        ([], 0, "192.0.2.1"),
        (["203.0.113.9"], 0, "192.0.2.1"),  # no proxy trusted: the header is anyone's to write
        (["203.0.113.9"], 1, "203.0.113.9"),
        (["10.0.0.1, 203.0.113.9"], 1, "203.0.113.9"),  # what the client wrote before the proxy's entry is ignored
        (["10.0.0.1", "203.0.113.9"], 1, "203.0.113.9"),  # the proxy's own line: every line, in order
        (["10.0.0.1, 203.0.113.9", "198.51.100.4"], 2, "203.0.113.9"),
        (["203.0.113.9"], 3, "203.0.113.9"),  # fewer entries than proxies: the leftmost there is
        (["", " , "], 1, "192.0.2.1"),
    ],
)
def test_the_client_is_the_entry_the_outermost_trusted_proxy_added(lines, proxies, expected):
    assert client_address("192.0.2.1", lines, proxies) == expected


def test_ipv6_counts_by_its_64_and_ipv4_as_itself():
    assert normalised("2001:db8:7:1::a") == normalised("2001:db8:7:1:ffff:1:2:3") == "2001:db8:7:1::/64"
    assert normalised("2001:db8:7:2::a") == "2001:db8:7:2::/64"
    assert normalised("[2001:db8:7:1::a]") == "2001:db8:7:1::/64"
    assert normalised("::ffff:198.51.100.7") == "198.51.100.7"
    assert normalised("198.51.100.7") == "198.51.100.7"
    assert normalised("not an address" * 10) == ("not an address" * 10)[:64]


def test_a_signed_caller_is_believed_from_loopback_only_and_never_forged():
    mark = signed("198.51.100.40")
    assert client_address("127.0.0.1", [], 0, mark) == "198.51.100.40"
    assert client_address("192.0.2.1", [], 0, mark) == "192.0.2.1", "a signature from outside is ignored"
    forged = "198.51.100.40 " + "0" * 64
    assert client_address("127.0.0.1", [], 0, forged) == "127.0.0.1"
    assert client_address("127.0.0.1", [], 0, "198.51.100.41 " + mark.split()[1]) == "127.0.0.1", "another's mark"


def test_the_scope_reads_every_forwarded_line_and_the_last_caller_header():
    scope = {
        "client": ("127.0.0.1", 5000),
        "headers": [
            (b"x-forwarded-for", b"10.0.0.1"),
            (b"x-forwarded-for", b"203.0.113.9"),
            (CALLER_HEADER.encode(), b"junk"),
            (CALLER_HEADER.encode(), signed("198.51.100.40").encode()),
        ],
    }
    assert scope_client(scope, 1) == "198.51.100.40"
    scope["headers"] = scope["headers"][:2]
    assert scope_client(scope, 1) == "203.0.113.9"
    assert scope_client(scope, 0) == "127.0.0.1"


def test_a_sender_key_is_the_same_within_its_week_and_tells_nothing_of_the_address():
    salt, week = b"the Space's secret", 7 * 86400
    monday = 20 * week + 1
    key = sender_key("198.51.100.7", salt, monday)
    assert key == sender_key("198.51.100.7", salt, monday + week - 2), "same sender, same period: same key"
    assert key != sender_key("198.51.100.7", salt, monday + week), "the next period: another key"
    assert key != sender_key("198.51.100.8", salt, monday) != sender_key("198.51.100.7", b"another salt", monday)
    assert len(key) == 16 and "198" not in key and key == key.lower()
    assert sender_key(normalised("2001:db8::1"), salt, monday) == sender_key(normalised("2001:db8::2"), salt, monday)
