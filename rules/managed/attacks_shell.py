"""Attack classes of the linux-posix/windows managed rule group(s): what each matches, and why.

See ``ruleclass.py`` for the conventions every regex here follows."""

from __future__ import annotations

from ruleclass import SP, I, RuleClass

# Shell globbing and parameter expansion used to spell a path or command without its letters.
_SHELL_EXPANSION = (
    I + r"[a-z]\$(?:\{[a-z_]{0,10}\}|@|\*|[a-z_]{0,10}\$)[a-z/]|[a-z/]\$\{?ifs",
    I + r"[<>]\(\s*[a-z]{2,}[^)]*\)|\[[?*]\][a-z]|[a-z]\[[?*]\]",
    I + r"/s?bin/[a-z?*]*\[[a-z!^?*\-]{1,10}\]|/[a-z?*]*\[[a-z!^?*\-]{1,20}\][a-z?*]*/|/(?:[a-z]*[?*][a-z?*]*/){1,}[a-z?*]*(?:sh|passwd|shadow|id)\b|/\?\?\?/|\$\[\s*\d+\s*[+*/-]\s*\d+\s*\]|\$\{[a-z_]*[#%:][^}]*\}|\$\{![a-z_]|\{,?\$?[\"']?[a-z]+[\"']?,[^}]*\}",
)


# A shell separator (incl. newline, backtick, $(...)), then a command word used for recon or
# payload delivery, then an argument shape (option, path, variable, end, another separator).
_SEP = r"(?:[;|&\n\r]|\$\()\s*(?:(?:sudo|busybox|nohup|timeout\s+\d+)\s+)?(?:/(?:usr/)?s?bin/)?"
_CMD_WORDS = (
    "whoami|uname|ifconfig|ipconfig|netstat|nslookup|wget|curl|nc|ncat|netcat|telnet|bash|zsh|ksh",
    "dash|csh|tcsh|sh|python[23]?|perl|ruby|php|lua|node|chmod|chown|chattr|useradd|usermod|crontab",
    "mkfifo|socat|tftp|base64|xxd|hexdump|getent|systemctl|killall|pkill|passwd|id|ls|pwd|ps|cat|tac",
    "nl|head|tail|rm|cp|mv|awk|gawk|sed|find|grep|dd|env|printenv|echo|printf|sleep|ping|kill|touch",
    "more|less|uptime|hostname|w|who|last|lsof|df|mount|tar|zip|unzip|gzip|openssl|ssh|scp|ftp|dig",
    "host|traceroute|iptables|export|set|eval|exec|source|xargs|tee|trap|cd|column|base32|rev|time",
    "nohup|strace|ltrace|gdb|chroot|setsid|shred|truncate|chmod|ln|diff|cmp|cut|sort|uniq|tr|od|strings",
    "lastlog|htop|vmstat|dmesg|lsblk|lscpu|lsmod|arp|finger|pinky",
    # Configuration-management, log and recon CLIs an intruder drives; interpreters with a version.
    "ansible(?:-[a-z]+)?|chef-[a-z]+|salt-[a-z]+|visudo|sudoedit|bpftrace|busybox|bsdtar|cpio",
    "lastlogin|lastb|journalctl|cscli|nmap|masscan|zcat|bzcat|xzcat|jrunscript|jjs|tclsh",
    r"python[23]?\.\d+|(?:php|perl|ruby|node)\d(?:\.\d+)?",
)
_CMD_ARG = r"(?:\s*$|\s*[;|&)\n]|\s*[\"']\s*(?:[,}\]]|$)|" + SP + r"+(?:-{1,2}[a-z0-9]|/|~|\$|\.{1,2}/|[a-z0-9_.-]+\.(?:sh|py|pl|txt|php|conf)\b|[<>]|\d+\s*(?:$|[;|&`)])|[a-z0-9.-]+\.[a-z]{2,}\b|\d{1,3}\.\d{1,3}\.|[\"'][a-z]))"
_UNIX = (
    *(I + _SEP + "(?:" + words + ")" + _CMD_ARG for words in _CMD_WORDS),
    # Command substitution. Backticks also delimit markdown inline code, so only recon words there.
    I + r"\$\(\s*(?:/(?:usr/)?s?bin/)?(?:whoami|id|uname|hostname|ifconfig|nslookup|sleep|cat|ls|echo|curl|wget|nc|bash|sh|pwd|env|printenv|base64|ping|dig|host|ps|expr|printf|head|tail|rm)\b[^)]*\)",
    I + r"`\s*(?:/(?:usr/)?s?bin/)?(?:whoami|id|uname|hostname|ifconfig|nslookup|sleep\s+\d+|nc\s+-|cat\s+/etc/|curl\s+[^`]*\|\s*sh)\s*`",
    I + r"\b(?:cat|tac|more|less|head|tail|nl|strings|xxd|od|base64|curl|wget|grep|awk|sed|cp|vi|vim|nano|file|stat)" + SP + r"+(?:-[a-z]+" + SP + r"+)*[^\s;|&]*/etc/(?:passwd|shadow|group|hosts|sudoers|issue|crontab)\b",
    I + r"\b(?:bash|sh|zsh|ksh|dash)" + SP + r"+-[a-z]*c\b|\$\{?shell\}?" + SP + r"+-[a-z]*c\b|\b(?:bash|sh)" + SP + r"+-i\b|/dev/(?:tcp|udp)/|\b(?:nc|ncat|netcat)" + SP + r"+(?:-[a-z]+" + SP + r"+)*(?:-e|-c)\b|\bmkfifo\s|\b(?:curl|wget)" + SP + r"+[^\s]*\|\s*(?:ba)?sh\b",
    I + r"\$\{?ifs\}?|\$\{[a-z_]+:\d+:\d+\}|\b(?:cat|ls|id|cp|rm)\$\{?[a-z_@*]{0,10}\}?(?:\s|/|-)|\{(?:cat|ls|id|wget|curl|nc|bash|sh|echo|rm),",
    I + r"(?:^|[;|&`\s(])(?:/usr)?/bin/(?:ba|z|k|da|c|tc)?sh\b|/bin/(?:cat|ls|id|nc|busybox|echo|uname)\b",
    # A bash here-string feeding a command, and "cd" to the root or up, chained to the next command.
    I + r"[a-z]\s*<<<\s*[\"'$]?[a-z]|(?:^|[;|&`(=])\s*cd\s+(?:/|\.\.)[^;|&\s]*\s*[;|&]+\s*(?:cd\b|[a-z]+\s)",
)
_UNIX_CMDLINE = (
    # The same grammar after CMD_LINE removed quoting tricks (w'h'o'am'i, c\at, c^at; ";" is a
    # space there): recon commands, and a file reader aimed at a system file.
    I + r"(?:^|[\s|&`(=])(?:whoami|uname\s*-[a-z]|ifconfig|netstat\s*-|nslookup\s|wget\s*(?:https?|ftp|-)|curl\s*(?:-|https?)|ncat\s|netcat\s|printenv|getent\s|crontab\s*-|mkfifo\s)",
    I + r"\b(?:cat|tac|more|less|head|tail|nl|grep|awk|sed|base64|base32|xxd|strings|od|column|rev|cut|sort|uniq|diff)(?:\s|\$\{?ifs\}?|<)*[^\s]*/etc/(?:passwd|shadow|group|hosts|sudoers)\b",
    I + r"(?:^|[\s|&`(])(?:nc|ncat|netcat)\s+(?:-[a-z]+\s+)*-[a-z]*[ec]\s",
)
_WINDOWS = (
    I + r"(?:[;|&\n\r`]|\$\(|^)\s*(?:cmd(?:\.exe)?\s*/[ckr]|powershell(?:\.exe)?|pwsh|certutil(?:\.exe)?\s|bitsadmin|wmic\s|mshta\s|rundll32\s|regsvr32\s|cscript\s|wscript\s|net\s+(?:user|localgroup|view|share|use)\b|net1\s|type\s+[a-z]:\\|dir\s+(?:[a-z]:|\\|/[a-z])|whoami\b|ipconfig\b|systeminfo\b|tasklist\b|taskkill\s|reg\s+(?:query|add|delete)\s|sc\s+(?:query|create|start)\s|schtasks\s|vssadmin\s|nltest\s|quser\b|qwinsta\b|netsh\s|ver\b\s*$|echo\s+%[a-z]+%)",
    I + r"(?:^|[\s&|(=/])for\s+(?:/[a-z]\s+(?:\"[^\"]*\"\s+|[^\s%/]+\s+)?)*%%?[^\s%]{1,3}\s+in\s*\(|(?:^|[\s&|(=/])if(?:\s+|\s*/i\s+)(?:not\s+)?[^\s=]+==[^\s=]+\s+[a-z]|(?:^|[\s&|(=])if\s+(?:/i\s+)?(?:not\s+)?(?:exist|defined|errorlevel)\s|\bif\s+/i\s",
    I + r"(?:^|[\s&|(=/])if\s+(?:/i\s+)?(?:not\s+)?[^\s]*%[^\s]*\s*(?:==|lss|gtr|equ|neq|leq|geq)|(?:^|[\s&|(=/])if\s+(?:not\s+)?\S+\s*==\s*\S+\s+(?:goto|echo|call|exit|cmd|set)\b|(?:^|[\s&|(=/])if\s+(?:/i\s+)?(?:not\s+)?\(?\s*\S+\s+(?:equ|neq|lss|leq|gtr|geq)\s+\S|(?:^|[\s&|(=/])if\s+(?:/i\s+)?(?:not\s+)?\"[^\"]*\"\s*==\s*\"|\bgoto\s+:?[a-z_]\w*\s*$",
    I + r"%(?:comspec|systemroot|windir|userprofile|appdata|temp|programfiles|computername|username|path)%|\^%|%[a-z_]+:~-?\d+,\d*%",
    I + r"\b(?:invoke-(?:expression|webrequest|restmethod|command|mimikatz|shellcode)|iex\s*\(|new-object\s+(?:system\.)?net\.webclient|downloadstring\s*\(|downloadfile\s*\(|start-process\b|set-mppreference|add-mppreference|-encodedcommand\b|-enc\s+[a-z0-9+/=]{16,}|frombase64string\s*\(|get-(?:content|childitem|process|wmiobject|itemproperty)\s|\[system\.(?:convert|text\.encoding|reflection)\]|-(?:nop|noprofile|windowstyle\s+hidden|executionpolicy\s+bypass|exec\s+bypass)\b)",
    I + r"\b(?:cmd|command)\.(?:exe|com)\b|\bpowershell\.exe\b|\\\\(?:localhost|127\.0\.0\.1|[a-z0-9.-]+)\\(?:c|admin|ipc)\$",
)


CLASSES: tuple[RuleClass, ...] = (
    RuleClass("linux-posix", "UNIXShellCommands", _UNIX, chains=("DEC", "B64", "CMD")),
    RuleClass("linux-posix", "UNIXShellCommandsUnquoted", _UNIX_CMDLINE, chains=("CMD",)),
    RuleClass("linux-posix", "UNIXShellExpansion", _SHELL_EXPANSION, placements=("URIPATH", "QUERYARGUMENTS", "BODY", "HEADER")),
    RuleClass("windows", "WindowsShellCommands", _WINDOWS, chains=("DEC", "B64")),
)
