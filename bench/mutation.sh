#!/usr/bin/env bash
# Mutation testing (mutmut 3) of Okno's central logic, each module against its own tests.
#
#   bench/mutation.sh                      every module below, one after another
#   bench/mutation.sh routing/identity.py  just that one
#
# mutmut reads one [tool.mutmut] section from pyproject.toml in the folder it runs in, and
# writes its mutants/ there: each module is run in a throwaway copy of the checkout (the files
# git knows, committed or not) with a section of its own, so runs never see each other's state
# and the checkout stays clean. Tests run on SQLite only: the PostgreSQL variants of the same
# tests check the same module lines against the other dialect, and doubling every mutant's run
# would put the whole pass past an hour on a 2-core machine. Prints one score line per module
# and, for each, the survivors (mutmut's names; `mutmut show NAME` in the kept copy explains).
#
# Environment: PYTHON (default .venv/bin/python), MUTMUT_CHILDREN (default 2),
# MUTMUT_KEEP=1 keeps the copies (their paths are printed).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PYTHON=${PYTHON:-$ROOT/.venv/bin/python}
CHILDREN=${MUTMUT_CHILDREN:-2}

# module -> the tests that are its own (space-separated paths, relative to the checkout)
declare -A TESTS=(
    [hub/actions/inbound.py]="tests/routing/test_inbound_backoff.py tests/routing/test_inbound_claims.py"
    [hub/policy.py]="tests/hub/test_policy.py tests/hub/test_policy_ranks.py"
    [hub/policy_base.py]="tests/hub/test_policy.py tests/hub/test_policy_ranks.py"
    [routing/identity.py]="tests/routing/test_identity.py tests/routing/test_identity_lookup.py"
    [robots/states.py]="tests/robots/test_builtin.py tests/robots/test_once.py tests/robots/test_builtin_payment_sla.py tests/robots/test_sla_near_policy.py tests/robots/test_states.py"
    [routing/queue_batch.py]="tests/routing/test_queue_batch.py"
    [routing/first_requests.py]="tests/routing/test_first_requests.py tests/routing/test_ingest_batches.py"
    [routing/open_messages.py]="tests/routing/test_open_messages.py"
    [hub/actions/fresh_sources.py]="tests/routing/test_first_requests.py"
)
ORDER=(hub/actions/inbound.py hub/policy.py hub/policy_base.py routing/identity.py robots/states.py routing/queue_batch.py routing/first_requests.py routing/open_messages.py hub/actions/fresh_sources.py)

# Survivors known to be equivalent (no input tells them from the original), by module:
# hub/actions/inbound.py
#   _insert_once: the dialect's name replaced by None picks SQLite's insert, which is the
#     dialect these runs use (the PostgreSQL variants of test_inbound_claims kill it).
#   take_back_all: `cast(None, …)` for `cast(CursorResult[Any], …)`: a cast does nothing at
#     run time.
# routing/identity.py (normalise_phone, owners)
#   `digits[0] in "XX78XX"`: digits hold no X.
#   the "+7…" reading inserted second instead of first: whenever the text as written reads
#     as a valid number in region RU it is the same number (checked on 168,000 numbers: 1,000
#     area codes × 12 subscribers × 7 spellings with 7 and 8; the only differences were the
#     texts with words, where the written reading is invalid and the "+7…" one is needed).
#   "XX+7XX…" and "XX+XX…" for "+7…" and "+…": phonenumbers skips the letters before the
#     number and drops letters after the plus, reading the same number.
#   `.join(Identity, None)` / `.join(Identity)`: SQLAlchemy infers the same ON clause from the
#     only foreign key between the two tables.
# robots/states.py
#   `>=` for `>` in _deal_quiet_since and _nothing_planned_since: when the two moments are
#     equal both branches give the same moment.
#   `select(None)` for `select(x.id)` inside EXISTS (_not_called_back, _no_next_contact,
#     _unpaid): EXISTS does not look at the columns.
#   `.join(Conversation, None)` / `.join(Conversation)` in _lead_not_contacted: the ON clause
#     inferred from the only foreign key is the same.
#   `literal(last, None)` / `literal(last)` in _payment_overdue: a date literal is typed Date.
# hub/actions/fresh_sources.py (90 % on 2026-12-07)
#   `break` for `continue`: every conversation a batch opens is offered or queued
#     (routing/first_requests.py decide_new), so the skip never runs.
#   the first wait's conversation, start or `first` flag changed: an unanswered wait of an
#     open conversation moves no figure under today's formulas (docs/metrics.md); it is kept
#     so that the known rows are the rows a read would give, should a formula come to use it.
# routing/first_requests.py, routing/open_messages.py (93 % and 92 % on 2026-12-07)
#   `zip(…, strict=True)` as None/False/absent: the lists zipped are built from one another.
#   What decides only whether an event takes the batch's set-based path (an attachment, a
#     hinted thread on a channel that is not e-mail, the kind weighed for a chat channel, a
#     claim read without its region when counting the batch's claims): declined, the event is
#     processed one by one with the same outcome; taken, these inputs do not occur in tests.
#   `getattr(item, "sender")` without its default: every kind of inbound the tests batch has
#     a sender.
#   The batch's `queued_at` and an offer's in-memory turn: nothing reads them after the
#     decisions of a batch of new conversations.
# Survivors that are not shown equivalent (left, see README "Mutation testing"):
#   _unpaid without `payment_due_on IS NOT NULL`; _sla_near's cutoff literal typed DateTime
#   instead of UtcDateTime; _sla_near's `max(1, …)` for `max(0, …)` (one second, when the
#   rule's N is at least the policy's target).

if [[ $# -gt 0 ]]; then
    ORDER=("$@")
fi

toml_list() { # words -> a TOML array of strings
    local out="" w
    for w in "$@"; do out+="\"$w\", "; done
    echo "[${out%, }]"
}

# mutmut runs a test session per mutant, in a forked child: a session's own setup (migrating a
# SQLite template, creating and migrating a PostgreSQL database) took about 10 s, more than the
# module's tests. One migrated SQLite file serves every session here (conftest copies it per
# test) and no PostgreSQL database is made.
db_dir=$(mktemp -d "/tmp/okno-mutation-db-XXXXXX")
trap 'rm -rf "$db_dir"' EXIT
(cd "$ROOT" && "$PYTHON" -c 'import asyncio, sys; from hub.migrate import upgrade; asyncio.run(upgrade(sys.argv[1]))' \
    "sqlite+aiosqlite:///$db_dir/okno.db")
export OKNO_TEST_SQLITE_ONLY=1 OKNO_TEST_SQLITE_TEMPLATE="$db_dir/okno.db"

summary=()
for module in "${ORDER[@]}"; do
    tests=${TESTS[$module]:-}
    if [[ -z $tests ]]; then
        echo "no tests listed for $module (known: ${!TESTS[*]})" >&2
        exit 2
    fi
    work=$(mktemp -d "/tmp/okno-mutation-XXXXXX")
    (cd "$ROOT" && git ls-files -z --cached --others --exclude-standard \
        | xargs -0 -I{} cp --parents {} "$work"/ 2>/dev/null || true)
    # shellcheck disable=SC2086
    cat >>"$work/pyproject.toml" <<EOF

[tool.mutmut]
source_paths = ["hub", "connectors", "routing", "agent_ui", "robots"]
only_mutate = ["$module"]
pytest_add_cli_args = ["-q", "-p", "no:cacheprovider", "-p", "no:randomly", "-k", "not postgres", "--timeout", "120"]
pytest_add_cli_args_test_selection = $(toml_list $tests)
also_copy = ["tests", "bench"]
EOF
    started=$(date +%s)
    (cd "$work" && "$PYTHON" -m mutmut run --max-children "$CHILDREN" >"$work/run.log" 2>&1) || {
        echo "mutmut failed on $module, see $work/run.log" >&2
        tail -30 "$work/run.log" >&2
        exit 1
    }
    took=$(($(date +%s) - started))
    (cd "$work" && "$PYTHON" -m mutmut results --all true >"$work/results.txt" 2>&1) || true
    killed=$(grep -c ': killed$' "$work/results.txt" || true)
    survived=$(grep -c ': survived$' "$work/results.txt" || true)
    timeout=$(grep -c ': timeout$' "$work/results.txt" || true)
    # A mutant no selected test even runs is as uncaught as one that survives them.
    untested=$(grep -c ': no tests$' "$work/results.txt" || true)
    other=$(grep -v -c -E ': (killed|survived|timeout|no tests)$' "$work/results.txt" || true)
    caught=$((killed + timeout))
    total=$((caught + survived + untested))
    score=$(awk -v c="$caught" -v t="$total" 'BEGIN { printf "%.0f", t ? 100 * c / t : 0 }')
    line=$(printf '%-24s %7d %7d %8d %9d %8d %5d%%  %4ds' \
        "$module" "$total" "$killed" "$timeout" "$survived" "$untested" "$score" "$took")
    echo "$line"
    [[ $other -gt 0 ]] && echo "  $other mutants in another state (suspicious / skipped / error)"
    grep -E ': (survived|no tests)$' "$work/results.txt" | sed 's/^ */  /' || true
    summary+=("$line")
    if [[ ${MUTMUT_KEEP:-0} == 1 ]]; then
        echo "  kept: $work"
    else
        rm -rf "$work"
    fi
done

echo
echo "module                   mutants  killed  timeout  survived  untested  score   time"
printf '%s\n' "${summary[@]}"
