#!/usr/bin/env python3
"""Generates heldout.tsv and watchlist.json: a labelled regression set for the detector, built
like the development benchmark but from brands, keywords, TLDs, subdomain words and honest words
that are all different from the development set's lists, so that it measures generalisation.
Deterministic (fixed seed); standard library only. Run from this folder: python3 gen.py"""
import json, random

rng = random.Random(20261126)

BRANDS = ["spotify.com", "dropbox.com", "airbnb.com", "binance.com", "revolut.com", "nordea.fi",
          "santander.co.uk", "klarna.se", "amazon.de", "visa.com", "ups.com", "sky.com", "bbva.es",
          "orange.fr", "shopify.com", "outlook.com", "twitch.tv", "intuit.com", "posteitaliane.it",
          "credit-agricole.fr", "hmrc.gov.uk", "lloyds.co.uk"]
# half of them are in the detector's own affix vocabulary, half are not
KEYWORDS = ["signin", "billing", "refund", "helpdesk", "confirm", "alert", "unlock", "invoice",
            "claim", "rewards", "service", "portal", "auth", "recovery", "delivery", "promo",
            "renewal", "giveaway", "airdrop", "outlet", "benefits", "compliance", "lottery",
            "winner", "redeem", "cashback", "unblock", "assist", "verification", "customer"]
TLDS = ["xyz", "top", "shop", "online", "site", "live", "icu", "buzz", "club", "vip", "app",
        "cc", "net", "com", "com", "com", "us", "ru"]
SUBS = ["web", "portal", "app", "auth", "cdn", "service", "e", "secure2", "start"]
HONEST = """river maple copper lantern meadow harbor pepper velvet canyon willow ember falcon
granite orchid summit cobalt juniper saffron thistle quartz marble walnut badger otter heron
basil cedar clover coral dune fern garnet hollow indigo jasper kestrel linen mosaic nutmeg
oyster pebble raven sparrow timber umber violet wren yarrow zephyr anchor beacon compass
dynamo engine forge glacier horizon island jungle kettle ladder magnet nebula orbit prism
quiver rocket signal tundra vector wagon bakery studio garage clinic dental yoga travel
photo design media craft market farm kitchen garden""".split()
# English words that hold a brand label by accident; like the development set's real negatives
# (screened), none is a single letter away from a brand (visas, oranges would be typos)
COLLISIONS = ["visage", "advisable", "cups", "upset", "groups", "pushups", "husky", "skyline",
              "whisky", "risky", "orangery", "amazonian", "twitching", "intuition", "intuitive",
              "revolution", "revolutionary", "startups", "backups", "supervisable"]
CONFUSABLES = {  # Cyrillic, Greek, Armenian lookalikes (IDNA2008-valid)
    "a": ["а", "α"], "c": ["с"], "e": ["е"], "i": ["і"], "j": ["ј"], "o": ["о", "ο", "օ"],
    "p": ["р", "ρ"], "s": ["ѕ"], "x": ["х"], "y": ["у"], "h": ["һ", "հ"], "n": ["ո"],
    "u": ["υ", "ս"], "k": ["κ"], "v": ["ν"], "d": ["ԁ"], "g": ["ɡ"], "q": ["ԛ"], "w": ["ԝ"],
}
KEYS = ["1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm"]
GLYPHS = {"o": "0", "l": "1", "i": "1", "e": "3", "a": "4", "s": "5", "t": "7", "b": "8", "g": "9", "m": "rn", "w": "vv"}


def split(domain):
    label, _, suffix = domain.partition(".")
    return label, suffix


def puny(unicode_domain):
    out = []
    for lab in unicode_domain.split("."):
        if all(ord(c) < 128 for c in lab):
            out.append(lab)
        else:
            out.append("xn--" + lab.encode("punycode").decode())
    return ".".join(out)


def neighbour(c):
    for r, row in enumerate(KEYS):
        i = row.find(c)
        if i >= 0:
            opts = [row[j] for j in (i - 1, i + 1) if 0 <= j < len(row)]
            return rng.choice(opts)
    return c


def typos(label):
    """dnstwist-like single edits of label."""
    out = set()
    n = len(label)
    for _ in range(60):
        i = rng.randrange(n)
        kind = rng.choice(["omission", "insertion", "replacement", "transposition", "repetition",
                           "vowel-swap", "homoglyph", "hyphenation", "bitsquatting", "addition"])
        c = label[i]
        if kind == "omission" and n > 3:
            t = label[:i] + label[i + 1:]
        elif kind == "insertion":
            t = label[:i] + neighbour(c) + label[i:]
        elif kind == "replacement":
            t = label[:i] + neighbour(c) + label[i + 1:]
        elif kind == "transposition" and i + 1 < n:
            t = label[:i] + label[i + 1] + label[i] + label[i + 2:]
        elif kind == "repetition":
            t = label[:i] + c + label[i:]
        elif kind == "vowel-swap" and c in "aeiou":
            t = label[:i] + rng.choice([v for v in "aeiou" if v != c]) + label[i + 1:]
        elif kind == "homoglyph" and c in GLYPHS:
            t = label[:i] + GLYPHS[c] + label[i + 1:]
        elif kind == "hyphenation" and 0 < i < n:
            t = label[:i] + "-" + label[i:]
        elif kind == "bitsquatting":
            b = chr(ord(c) ^ (1 << rng.randrange(5)))
            if not (b.isalnum() and b.isascii()):
                continue
            t = label[:i] + b.lower() + label[i + 1:]
        elif kind == "addition":
            t = label + rng.choice("abcdefghijklmnopqrstuvwxyz")
        else:
            continue
        t = t.replace("--", "-")
        if t != label and not t.startswith("-") and not t.endswith("-") and t.replace("-", "") != "":
            out.add((kind, t))
    return sorted(out)


def idn(label, count):
    idx = [i for i, c in enumerate(label) if c in CONFUSABLES]
    if not idx:
        return None
    chars = list(label)
    for i in rng.sample(idx, min(count, len(idx))):
        chars[i] = rng.choice(CONFUSABLES[chars[i]])
    return "".join(chars)


def whole_cyrillic(label):
    cyr = {k: [v for v in vs if "\u0400" <= v <= "\u04ff"] for k, vs in CONFUSABLES.items()}
    if all(cyr.get(c) for c in label):
        return "".join(cyr[c][0] for c in label)
    return None


def honest_label():
    r = rng.random()
    w = lambda: rng.choice(HONEST + COLLISIONS) if rng.random() < 0.2 else rng.choice(HONEST)
    if r < 0.3:
        return w() + w()
    if r < 0.55:
        return w() + "-" + w()
    if r < 0.75:
        return w() + str(rng.randrange(10, 999))
    return w()


rows = []
seen = set()


def add(name, label, category, brand="", sub=""):
    if name in seen:
        return
    seen.add(name)
    rows.append((name, label, category, brand, sub))


for brand in BRANDS:
    label, suffix = split(brand)
    for kind, t in rng.sample(typos(label), min(8, len(typos(label)))):
        add(t + "." + suffix, 1, "typo", brand, kind)
    for count in (1, 2):
        u = idn(label, count)
        if u:
            add(u + "." + suffix, 1, "idn", brand, f"{count}char-unicode")
            add(puny(u + "." + suffix), 1, "idn", brand, f"{count}char-punycode")
    wc = whole_cyrillic(label)
    if wc:
        add(wc + "." + suffix, 1, "idn", brand, "wholescript-unicode")
        add(puny(wc + "." + suffix), 1, "idn", brand, "wholescript-punycode")
    for _ in range(6):
        kws = rng.sample(KEYWORDS, rng.choice([1, 1, 2]))
        parts = [label] + kws if rng.random() < 0.7 else kws[:1] + [label] + kws[1:]
        hyphen = rng.random() < 0.6
        name = ("-" if hyphen else "").join(parts) + "." + rng.choice(TLDS)
        if rng.random() < 0.3:
            name = rng.choice(SUBS) + "." + name
        add(name, 1, "combosquat", brand, "hyphen" if hyphen else "glued")
    for _ in range(3):
        host = rng.choice(HONEST) + str(rng.randrange(100, 999)) + "." + rng.choice(TLDS)
        shape = rng.randrange(3)
        if shape == 0:
            name = brand + "." + host
        elif shape == 1:
            name = brand + "-" + rng.choice(KEYWORDS) + "." + host
        else:
            name = rng.choice(SUBS) + "." + brand + "." + host
        add(name, 1, "subdomain", brand)
    ts = typos(label)
    for kind, t in rng.sample(ts, min(3, len(ts))):
        host = rng.choice(HONEST) + str(rng.randrange(100, 999)) + "." + rng.choice(TLDS)
        add(rng.choice(SUBS) + "." + t + "." + suffix + "." + host, 1, "typo-in-subdomain", brand, kind)
    for sub in ["www", "mail", "*", "login.eu", "api", "static.cdn"]:
        add(sub + "." + brand, 0, "own-subdomain", brand)
    add(brand, 0, "own-subdomain", brand)

while sum(1 for r in rows if r[1] == 0) < 450:
    name = honest_label() + "." + rng.choice(["com", "net", "org", "io", "de", "fr", "co.uk", "nl", "app", "dev"])
    if rng.random() < 0.3:
        name = rng.choice(["www", "mail", "shop", "blog", "api", "portal"]) + "." + name
    sub = "brand-substring" if any(c in name for c in COLLISIONS) else ""
    add(name, 0, "random-words", "", sub)
# every collision word at least once, alone and glued
for c in COLLISIONS:
    add(c + ".com", 0, "random-words", "", "brand-substring")
    add(rng.choice(HONEST) + c + ".net", 0, "random-words", "", "brand-substring")
    add(c + rng.choice(HONEST) + ".org", 0, "random-words", "", "brand-substring")

with open("heldout.tsv", "w", encoding="utf-8") as f:
    f.write("# domain\tlabel\tcategory\tbrand\tsubcategory  (generated by gen.py; do not edit)\n")
    for r in rows:
        f.write("\t".join(map(str, r)) + "\n")
with open("watchlist.json", "w", encoding="utf-8") as f:
    json.dump({b: [] for b in BRANDS}, f, indent=1)
    f.write("\n")
print(len(rows), "rows,", sum(r[1] for r in rows), "positives")
