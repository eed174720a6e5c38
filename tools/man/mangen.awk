# SPDX-License-Identifier: MIT
# mangen.awk — turns docs/api.md (the one source of the API reference) into
# section 3 man pages, one per function.
#   awk -v outdir=DIR -v version=X.Y.Z -f mangen.awk docs/api.md
# Format of docs/api.md, per function (see the top of that file):
#   "## Name" or "## NameA, NameW" (more names: pages that source the first),
#   a one-sentence summary paragraph, the synopsis indented by 4 spaces,
#   description paragraphs and "- " bullets, then optional blocks that start
#   with "Returns:", "Errors:", "Windows:" or "See also:" on a line of their own.
# Inline `code` and **bold** become bold.  Writes one NAME.3 per name, and
# the list of pages written to outdir/pages.txt.
function esc(s) {
    gsub(/\\/, "\\e", s)
    # the typographic characters docs/api.md uses, as troff names them
    gsub(/—/, "\\(em", s); gsub(/–/, "\\(en", s); gsub(/…/, "...", s)
    gsub(/→/, "\\(->", s); gsub(/≤/, "\\(<=", s); gsub(/≥/, "\\(>=", s)
    s = inline(s)
    if (s ~ /^[.']/) s = "\\&" s
    return s
}
function inline(s,   out, i, c, bold) {
    out = ""; bold = 0
    while ((i = match(s, /`|\*\*/)) > 0) {
        c = substr(s, i, RLENGTH)
        out = out substr(s, 1, i - 1) (bold ? "\\fR" : "\\fB")
        bold = !bold
        s = substr(s, i + RLENGTH)
    }
    return out s (bold ? "\\fR" : "")
}
function flush_page(   i, n, names, f, head) {
    if (title == "") return
    n = split(title, names, /, */)
    f = outdir "/" names[1] ".3"
    head = ".TH " toupper(names[1]) " 3 \"\" \"wsp " version "\" \"wsp API reference\"\n"
    printf "%s.SH NAME\n", head > f
    for (i = 1; i <= n; i++) printf "%s%s", (i > 1 ? ", " : ""), esc(names[i]) > f
    printf " \\- %s\n", esc(summary) > f
    printf "%s", body > f
    close(f)
    print names[1] ".3" > (outdir "/pages.txt")
    for (i = 2; i <= n; i++) {
        printf ".so man3/%s.3\n", names[1] > (outdir "/" names[i] ".3")
        close(outdir "/" names[i] ".3")
        print names[i] ".3" > (outdir "/pages.txt")
    }
    title = ""; body = ""; summary = ""; syn_done = 0
}
function section(name) { body = body ".SH " name "\n"; para = 0 }
BEGIN { title = ""; in_syn = 0; para = 0; seen_summary = 0; printf "" > (outdir "/pages.txt") }
/^## / {
    flush_page()
    title = substr($0, 4); summary = ""; seen_summary = 0; in_syn = 0; para = 0; started = 1
    next
}
title == "" { next }
/^    / {
    # the first indented block is the synopsis, later ones are examples
    if (!in_syn) {
        if (!syn_done) section("SYNOPSIS"); else body = body ".PP\n"
        body = body ".nf\n"; in_syn = 1
    }
    body = body esc(substr($0, 5)) "\n"
    next
}
in_syn {
    body = body ".fi\n"; in_syn = 0; para = 0
    if (!syn_done) { section("DESCRIPTION"); syn_done = 1 }
}
/^$/ { if (summary != "") seen_summary = 1; para = 0; next }
!seen_summary { summary = (summary == "" ? $0 : summary " " $0); next }
/^Returns:$/  { section("RETURN VALUE"); next }
/^Errors:$/   { section("ERRORS"); next }
/^Windows:$/  { section("DIFFERENCES FROM WINDOWS"); next }
/^See also:$/ { section("SEE ALSO"); next }
/^- / { body = body ".IP \\(bu 2\n" esc(substr($0, 3)) "\n"; para = 1; next }
{
    if (!para) { body = body ".PP\n"; para = 1 }
    sub(/^ +/, "")
    body = body esc($0) "\n"
}
END { flush_page() }
