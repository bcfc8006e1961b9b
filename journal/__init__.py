"""The journal: one ordered record of every change to the hub's data.

Pipeline runs (a link that merges two people, a load that retires a node) and
API writes (a service, an enrolment, an assessment, a referral, a change
request, a submission, a review decision) are appended here as facts, each
with a sequence number that only grows. The graph, the monthly report, the
dashboard, the subscriptions of every server process and the partners' pull
feed all read the same facts, so they agree.

    kinds   the fact kinds, and which of them are pipeline or API facts
    facts   `NewFact` (what a writer appends) and `Fact` (what a reader gets)
    store   `Journal`: the SQLite file `$HUB_HOME/journal.sqlite`, safe for
            several processes (WAL; appends serialised by `BEGIN IMMEDIATE`)

Stdlib only, so every package may import it.
"""

from journal import kinds
from journal.facts import Fact, NewFact
from journal.store import Journal, journal_path

__all__ = ["Fact", "Journal", "NewFact", "journal_path", "kinds"]
