#!/usr/bin/python3
# The checks of workers/tests/fleet/fleet.sh over the files of a run:
#
#   check.py RUN_DIR MAIN_SESSIONS
#
# RUN_DIR holds answers-*.jsonl (client.py), events.jsonl and
# derived.jsonl (the events topic and strm-decrypt's output, read from
# the broker host), keys-PHASE.jsonl (the keys topic after each phase),
# linkcut.json, restart.json, restart-sessions, restart-store-links,
# window.json.  Prints one line per check, "PASS<TAB>text" or
# "FAIL<TAB>text"; "INFO<TAB>text" lines are reports.

import collections
import json
import os
import sys

RUN = sys.argv[1]
MAIN_SESSIONS = int(sys.argv[2])
PHASES = ["main", "linkcut", "restart", "race", "window"]
# keys-NAME.jsonl snapshots in the order they were taken (warmup: the
# events that wake the gateways' new workers before the window phase)
SNAPSHOTS = ["main", "linkcut", "restart", "race", "warmup", "window"]
PII = ("uniqueIdentifier", "consistentValue", "someSensitiveValue")
# field names a key record may carry for its session (issue 16's
# format); without one, the live (not withdrawn) key links are the
# winners
SESSION_FIELDS = ("sessionHash", "session", "sessionHmac")


def out(verdict, text):
    print("%s\t%s" % (verdict, text), flush=True)


def check(ok, text):
    out("PASS" if ok else "FAIL", text)


def n(x):
    return "{:,}".format(x)


def jsonl(path):
    rows = []
    if not os.path.exists(path):
        return rows
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                rows.append(json.loads(line))
    return rows


def load_json(name):
    p = os.path.join(RUN, name)
    return json.load(open(p)) if os.path.exists(p) else None


# --- inputs -----------------------------------------------------------------

answers = collections.defaultdict(list)        # phase -> answers
for name in sorted(os.listdir(RUN)):
    if name.startswith("answers-") and name.endswith(".jsonl"):
        for a in jsonl(os.path.join(RUN, name)):
            answers[a["phase"]].append(a)

events = jsonl(os.path.join(RUN, "events.jsonl"))
by_id = collections.defaultdict(list)           # event id -> records
for e in events:
    e["v"] = json.loads(e["value"]) if e.get("value") else None
    by_id[e["headers"].get("strm-event-id")].append(e)


def link_of(rec):
    return rec["v"]["strmMeta"]["keyLink"] if rec["v"] else None


def keys_records(name):
    recs = jsonl(os.path.join(RUN, "keys-%s.jsonl" % name))
    for r in recs:
        r["pos"] = (r["partition"], r["offset"])
        r["v"] = None
        if r.get("value") is not None:
            try:
                r["v"] = json.loads(r["value"])
            except ValueError:
                r["v"] = {}
        v = r["v"]
        r["link"] = v.get("keyLink") if v else r.get("key")
        r["session"] = None
        if v:
            for f in SESSION_FIELDS:
                if f in v:
                    r["session"] = (v[f], v.get("window"))
    return recs


keys = {p: keys_records(p) for p in SNAPSHOTS}
final_keys = keys["window"] or max(keys.values(), key=len)
last_of_link = {}
for r in sorted(final_keys, key=lambda r: r["pos"]):
    last_of_link[r["link"]] = r


def keys_of_phase(phase):
    """the keys topic's records added during a phase"""
    i = SNAPSHOTS.index(phase)
    before = set()
    for p in SNAPSHOTS[:i]:
        before |= {r["pos"] for r in keys[p]}
    return [r for r in keys[phase] if r["pos"] not in before]


# --- per-phase helpers ------------------------------------------------------

def accounting(phase, all_204=False):
    """every 204 of the phase in Kafka exactly once; returns the 204s
    with their Kafka record"""
    A = [a for a in answers[phase]
         if a.get("err") not in ("not_sent", "late_skipped")]
    unsent = len(answers[phase]) - len(A)
    statuses = collections.Counter(a["status"] for a in A)
    ok = [a for a in A if a["status"] == 204]
    ids = {a["id"] for a in ok}
    missing = [a for a in ok if len(by_id.get(a["id"], [])) == 0]
    twice = [a for a in ok if len(by_id.get(a["id"], [])) > 1]
    wrong = [a for a in ok if len(by_id.get(a["id"], [])) == 1 and
             by_id[a["id"]][0]["v"]["notSensitiveValue"]
             != a["event"]["notSensitiveValue"]]
    extra = [e for e in events if e["v"] and
             e["v"]["notSensitiveValue"].startswith(phase + ":") and
             e["headers"].get("strm-event-id") not in ids]
    st = ", ".join("%s: %s" % (k, n(v)) for k, v in sorted(statuses.items()))
    errs = collections.Counter((a.get("err") or "")[:60] for a in A
                               if a["status"] != 204)
    if errs:
        out("INFO", "%s: other answers: %s"
            % (phase, dict(errs.most_common(4))))
    check(ok and not missing and not twice and not wrong
          and len(ids) == len(ok),
          "accounting (%s): %s sent, %s answered 204, every 204 in Kafka "
          "exactly once (missing %s, twice %s, other event %s); statuses "
          "{%s}; %s events in Kafka without a 204; %s not sent (client "
          "deadline or schedule)"
          % (phase, n(len(A)), n(len(ok)), n(len(missing)), n(len(twice)),
             n(len(wrong)), st, n(len(extra)), n(unsent)))
    if all_204:
        check(len(ok) == len(answers[phase]) and A,
              "%s: every event sent and answered 204 (%s of %s)"
              % (phase, n(len(ok)), n(len(answers[phase]))))
    for a in ok:
        recs = by_id.get(a["id"], [])
        a["rec"] = recs[0] if recs else None
    return [a for a in ok if a["rec"] is not None]


def links_by_session(ok):
    sess = collections.defaultdict(set)
    for a in ok:
        sess[a["s"]].add(link_of(a["rec"]))
    return sess


def keys_winners(phase, event_links, n_sessions):
    recs = keys_of_phase(phase)
    tomb = [r for r in recs if r["v"] is None]
    links = {r["link"] for r in recs}
    with_session = [r for r in recs if r["session"] is not None]
    if with_session:
        groups = collections.defaultdict(list)
        for r in with_session:
            groups[r["session"]].append(r)
        winners = {min(g, key=lambda r: r["pos"])["link"]
                   for g in groups.values()}
        how = "first candidate per session and window"
        parts = sum(1 for g in groups.values()
                    if len({r["partition"] for r in g}) > 1)
        if parts:
            out("INFO", "keys (%s): %s sessions have candidates in more than "
                "one partition" % (phase, n(parts)))
    else:
        winners = {l for l in links
                   if last_of_link.get(l) is not None
                   and last_of_link[l]["v"] is not None}
        how = "live (not withdrawn) key links, the records carry no session"
    check(len(winners) == n_sessions and winners == event_links,
          "keys topic (%s): one winner per session: %s records (%s "
          "tombstones), %s distinct key links, %s winners [%s] for %s "
          "sessions; %s of the events' links among them"
          % (phase, n(len(recs)), n(len(tomb)), n(len(links)),
             n(len(winners)), how, n(n_sessions),
             n(len(event_links & winners))))


def one_link_per_session(phase, ok, what="one key link per session"):
    sess = links_by_session(ok)
    multi = [s for s, l in sess.items() if len(l) > 1]
    all_links = set().union(*sess.values()) if sess else set()
    hist = collections.Counter(len(l) for l in sess.values())
    check(sess and not multi and len(all_links) == len(sess),
          "%s: %s: %s sessions, %s key links, %s sessions with more than "
          "one (links per session: %s)"
          % (phase, what, n(len(sess)), n(len(all_links)), n(len(multi)),
             dict(sorted(hist.items()))))
    return sess


# --- main ---------------------------------------------------------------------

ok = accounting("main", all_204=True)
gws = collections.defaultdict(set)
for a in answers["main"]:
    if a.get("up"):
        gws[a["s"]].add(a["up"])
spread = sum(1 for g in gws.values() if len(g) > 1)
n_ev = max((a["r"] for a in answers["main"]), default=0) + 1
if n_ev > 1:
    # three gateways at random: all E events of a session on one of
    # them with probability 3^(1-E)
    check(len(gws) > 0 and spread >= 0.8 * (1 - 3.0 ** (1 - n_ev)) * len(gws),
          "main: interleaved, %s of %s sessions had events on more than one "
          "gateway (%s gateways in all)"
          % (n(spread), n(len(gws)),
             len(set().union(*gws.values()) if gws else [])))
sess = links_by_session(ok)
main_links = set().union(*sess.values()) if sess else set()
check(len(main_links) == MAIN_SESSIONS,
      "main: exactly %s distinct key links among the events: %s for %s "
      "sessions" % (n(MAIN_SESSIONS), n(len(main_links)), n(len(sess))))
multi = [s for s, l in sess.items() if len(l) > 1]
hist = collections.Counter(len(l) for l in sess.values())
check(sess and not multi,
      "main: every event of a session carries the same key link: %s of %s "
      "sessions have more than one (links per session: %s)"
      % (n(len(multi)), n(len(sess)), dict(sorted(hist.items()))))
shared = collections.Counter(l for ls in sess.values() for l in ls)
if any(c > 1 for c in shared.values()):
    out("FAIL", "main: key links shared by several sessions: %s"
        % n(sum(1 for c in shared.values() if c > 1)))
keys_winners("main", main_links, MAIN_SESSIONS)

# --- linkcut ------------------------------------------------------------------

lc = load_json("linkcut.json")
ok = accounting("linkcut")
one_link_per_session("linkcut", ok)
if lc:
    host = lc["host"]
    during = [a for a in answers["linkcut"]
              if lc["cut"] <= a["t0"] <= lc["back"]]
    after = [a for a in answers["linkcut"] if a["status"] == 204 and
             (a.get("up") or "").startswith(host + ":") and
             a["t0"] > lc["back"]]
    on_cut = [a for a in answers["linkcut"]
              if (a.get("up") or "").startswith(host + ":")
              and a["t0"] < lc["cut"] < a["t1"]]
    out("INFO", "linkcut: %.1fs cut; %s requests sent during it, %s "
        "answered 204; %s were at the cut gateway when its link went "
        "down (answers: %s)"
        % (lc["back"] - lc["cut"], n(len(during)),
           n(sum(1 for a in during if a["status"] == 204)), n(len(on_cut)),
           dict(collections.Counter(a["status"] for a in on_cut))))
    check(len(after) > 0,
          "linkcut: the cut gateway takes events again after its link is "
          "back (%s answered 204)" % n(len(after)))
    keys_winners("linkcut", {link_of(a["rec"]) for a in ok},
                 len(links_by_session(ok)))

# --- restart ------------------------------------------------------------------

rs = load_json("restart.json")
ok = accounting("restart")
one_link_per_session("restart", ok)
if rs:
    codes = rs["codes"].split()
    # the topic's winners: the first candidate per session and window
    # (a loser, withdrawn or not, has no key to keep); without sessions,
    # every record
    before = keys_records("before-restart")
    groups = collections.defaultdict(list)
    for r in before:
        if r["v"] is not None:
            groups[r["session"] or r["link"]].append(r)
    topic = {min(g, key=lambda r: r["pos"])["link"] for g in groups.values()}
    store = set(open(os.path.join(RUN, "restart-store-links")).read().split())
    have = len(topic & store)
    cc = collections.Counter(codes[:-1])
    check(codes and codes[-1] == "200" and have == len(topic),
          "restart: gw2 (empty store) answered /ready 200 only when rebuilt: "
          "at its first 200 (%.1fs after start) its store held %s of the %s "
          "winning key links of the topic; before it: %s"
          % (rs["ready"] - rs["start"], n(have), n(len(topic)),
             dict(cc) or "nothing"))
    probed = [int(x) for x in
              open(os.path.join(RUN, "restart-sessions")).read().split()]
    before = collections.defaultdict(set)
    probe = {}
    for a in ok:
        if a["r"] >= 100:
            probe[a["s"]] = link_of(a["rec"])
        elif a["t1"] < rs["stop"]:
            before[a["s"]].add(link_of(a["rec"]))
    kept = [s for s in probed if s in probe and before[s] == {probe[s]}]
    many = [s for s in probed if len(before[s]) > 1]
    check(probed and len(kept) == len(probed),
          "restart: sessions seen by gw2 before the restart keep their link "
          "after it (posted to gw2 again): %s of %s (%s had more than one "
          "link before, %s probes not 204)"
          % (n(len(kept)), n(len(probed)), n(len(many)),
             n(len([s for s in probed if s not in probe]))))
    keys_winners("restart", {link_of(a["rec"]) for a in ok},
                 len(links_by_session(ok)))

# --- race -----------------------------------------------------------------

ok = accounting("race")
pairs = collections.defaultdict(dict)
for a in ok:
    pairs[a["s"]][a["r"]] = link_of(a["rec"])
n_race = len({a["s"] for a in answers["race"]})
both = [s for s, p in pairs.items() if len(p) == 2]
one = [s for s in both if pairs[s][0] == pairs[s][1]]
dt = sorted(abs(a["t1"] - a["t0"]) for a in answers["race"])
check(n_race and len(one) == n_race,
      "race: gw1 and gw2 meet a new session at once: one winner (the same "
      "key link in both events) in %s of %s races (both 204 in %s)"
      % (n(len(one)), n(n_race), n(len(both))))
keys_winners("race", {l for p in pairs.values() for l in p.values()},
             n_race)

# --- window -----------------------------------------------------------------

wj = load_json("window.json")
ok = accounting("window")
if wj:
    rot_ms = int(wj["rotation"] * 1000)
    pair_links = collections.defaultdict(set)
    link_pairs = collections.defaultdict(set)
    edge = 0
    for a in ok:
        ts = a["rec"]["v"]["strmMeta"]["timestamp"]
        if min(ts % rot_ms, rot_ms - ts % rot_ms) < 100:
            edge += 1
        p = (a["s"], ts // rot_ms)
        pair_links[p].add(link_of(a["rec"]))
        link_pairs[link_of(a["rec"])].add(p)
    wins = {w for (_, w) in pair_links}
    multi = sum(1 for l in pair_links.values() if len(l) > 1)
    across = sum(1 for p in link_pairs.values() if len(p) > 1)
    check(len(wins) >= 2,
          "window: a window boundary crossed (%d windows of %gs)"
          % (len(wins), wj["rotation"]))
    check(pair_links and multi == 0 and across == 0,
          "window: exactly one new key link per session per window, "
          "fleet-wide: %s (session, window) pairs, %s key links; %s pairs "
          "with more than one link, %s links used in more than one window"
          % (n(len(pair_links)), n(len(link_pairs)), n(multi), n(across)))
    if edge:
        out("INFO", "window: %s events within 100 ms of a boundary" % n(edge))
    keys_winners("window", set(link_pairs), len(pair_links))

# --- decryption on the worker host ------------------------------------------

sync = load_json("worker/sync.json")
if sync:
    out("INFO", "worker host: strm-keys sync %s" % json.dumps(sync))
derived = jsonl(os.path.join(RUN, "derived.jsonl"))
dmap = collections.defaultdict(list)
for d in derived:
    dmap[d["headers"].get("strm-event-id")].append(json.loads(d["value"]))
total = missing = wrong = 0
for phase in PHASES:
    for a in answers[phase]:
        if a["status"] != 204 or not by_id.get(a["id"]):
            continue
        total += 1
        got = dmap.get(a["id"])
        if not got:
            missing += 1
        elif any(got[0].get(f) != a["event"][f] for f in PII):
            wrong += 1
check(total and missing == 0 and wrong == 0,
      "worker host: strm-decrypt decrypted every PII field of every event "
      "(%s): %s equal to what the client sent, %s still encrypted or "
      "different, %s not in the derived stream"
      % (", ".join(PII), n(total - missing - wrong), n(wrong), n(missing)))
