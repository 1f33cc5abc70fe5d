#!/usr/bin/env bash
# Checks the mechanical parts of STYLE.md on our C sources: 80 columns,
# no tabs, no trailing whitespace, no // comments, no three blank lines
# in a row.  Prints "file:line: problem" and exits 1 on any finding.
set -u
cd "$(dirname "$0")/.." || exit 2

files=$(git ls-files --cached --others --exclude-standard \
    'ngx_strm_module/*.[ch]' 'workers/*.[ch]' 't/unit/*.[ch]' \
    't/fuzz/*.[ch]' 't/support/*.[ch]' 2>/dev/null)

[ -n "$files" ] || exit 0

# shellcheck disable=SC2086
perl -ne '
    BEGIN { $bad = 0; $blank = 0 }
    $f = $ARGV;
    chomp;
    sub say_ { print "$f:$.: $_[0]\n"; $bad = 1 }
    say_("longer than 80 columns") if length($_) > 80;
    say_("tab") if /\t/;
    say_("trailing whitespace") if /[ \t]+$/;
    # a // outside strings and outside /* */ comments
    ($s = $_) =~ s/"(?:\\.|[^"\\])*"//g;
    $s =~ s{/\*.*?\*/}{}g;
    say_("// comment") if $s =~ m{(?<![:*])//} && $s !~ /^\s*\*/;
    $blank = /^\s*$/ ? $blank + 1 : 0;
    say_("three blank lines") if $blank == 3;
    close ARGV if eof;
    END { exit $bad }
' $files
