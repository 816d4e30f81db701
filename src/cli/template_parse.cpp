// The parser of Go text/template (text/template/parse/parse.go): actions, control structures,
// pipelines and operands into the tree the executor walks, with Go's error texts.
#include "cli/template_internal.h"

#include <algorithm>
#include <cctype>
#include <optional>

#include "cli/format.h"
#include "cli/units.h"

namespace berth::cli {

using nlohmann::json;

namespace tmpl {

std::string str(const Expr& e) {
    std::string s;
    switch (e.kind) {
        case Expr::Dot:
            return ".";
        case Expr::Nil:
            return "nil";
        case Expr::Literal:
        case Expr::Identifier:
            return e.name;
        case Expr::Paren:
            return "(" + str(*e.pipe) + ")";
        case Expr::Variable:
            s = e.name;
            break;
        case Expr::Chain:
            s = str(*e.inner);
            if (e.inner->kind == Expr::Paren && s.front() != '(') s = "(" + s + ")";
            break;
        case Expr::Field:
            break;
    }
    for (const auto& f : e.fields) s += "." + f;
    return s;
}

std::string str(const Command& c) {
    std::string s;
    for (const auto& a : c.args) s += (s.empty() ? "" : " ") + str(a);
    return s;
}

std::string str(const Pipe& p) {
    std::string s;
    for (size_t i = 0; i < p.decl.size(); ++i) s += (i ? ", " : "") + p.decl[i];
    if (!p.decl.empty()) s += p.isAssign ? " = " : " := ";
    for (size_t i = 0; i < p.cmds.size(); ++i) s += (i ? " | " : "") + str(p.cmds[i]);
    return s;
}

}  // namespace tmpl

namespace {

using tmpl::Command;
using tmpl::Expr;
using tmpl::Node;
using tmpl::Pipe;
using tmpl::T;
using tmpl::Token;

struct ParseError {
    std::string msg;
};

// strconv.Unquote for "..." and '...' literals; nullopt on a malformed escape.
std::optional<std::string> unquote(std::string_view q) {
    std::string out;
    char quote = q.front();
    for (size_t i = 1; i + 1 < q.size(); ++i) {
        char c = q[i];
        if (c != '\\') {
            out += c;
            continue;
        }
        char e = q[++i];
        auto digits = [&](size_t n, int base) -> std::optional<uint32_t> {
            if (i + n >= q.size()) return std::nullopt;
            uint32_t v = 0;
            for (size_t k = 1; k <= n; ++k) {
                int d = std::isdigit(static_cast<unsigned char>(q[i + k])) ? q[i + k] - '0'
                        : std::isxdigit(static_cast<unsigned char>(q[i + k]))
                            ? std::tolower(q[i + k]) - 'a' + 10
                            : 99;
                if (d >= base) return std::nullopt;
                v = v * static_cast<uint32_t>(base) + static_cast<uint32_t>(d);
            }
            i += n;
            return v;
        };
        std::optional<uint32_t> v;
        switch (e) {
            case 'a':
                out += '\a';
                continue;
            case 'b':
                out += '\b';
                continue;
            case 'f':
                out += '\f';
                continue;
            case 'n':
                out += '\n';
                continue;
            case 'r':
                out += '\r';
                continue;
            case 't':
                out += '\t';
                continue;
            case 'v':
                out += '\v';
                continue;
            case '\\':
                out += '\\';
                continue;
            case '\'':
            case '"':
                if (e != quote) return std::nullopt;
                out += e;
                continue;
            case 'x':
                if (!(v = digits(2, 16))) return std::nullopt;
                out += static_cast<char>(*v);
                continue;
            case 'u':
            case 'U':
                v = digits(e == 'u' ? 4 : 8, 16);
                if (!v || *v > 0x10FFFF || (*v >= 0xD800 && *v < 0xE000)) return std::nullopt;
                appendUtf8(out, *v);
                continue;
            default:
                --i;
                if (!(v = digits(3, 8)) || *v > 0xFF) return std::nullopt;
                out += static_cast<char>(*v);
        }
    }
    return out;
}

class Parser {
  public:
    Parser(std::string_view src, std::vector<Token> toks) : src_(src), toks_(std::move(toks)) {}

    std::vector<Node> parse() {
        std::vector<Node> root;
        while (peek().type != T::Eof) {
            if (peek().type == T::Error) next();
            auto [n, stop] = textOrAction();
            if (stop != T::Eof)
                fail(fmt::format("unexpected {{{{{}}}}}", stop == T::End ? "end" : "else"));
            if (n) root.push_back(std::move(*n));
        }
        return root;
    }

  private:
    [[noreturn]] void fail(const std::string& msg) {
        size_t line = 1;
        for (size_t i = 0; i < lastPos_ && i < src_.size(); ++i) line += src_[i] == '\n';
        throw ParseError{fmt::format("template: :{}: {}", line, msg)};
    }

    const Token& peek() { return i_ < toks_.size() ? toks_[i_] : toks_.back(); }
    const Token& next() {
        const Token& t = peek();
        if (i_ < toks_.size()) ++i_;
        lastPos_ = t.pos;
        if (t.type == T::Error) fail(t.val);
        return t;
    }
    void backup() { --i_; }
    const Token& nextNonSpace() {
        while (peek().type == T::Space) next();
        return next();
    }
    const Token& peekNonSpace() {
        while (peek().type == T::Space) next();
        return peek();
    }

    static std::string itemString(const Token& t) {
        switch (t.type) {
            case T::Eof:
                return "EOF";
            case T::Block:
            case T::Break:
            case T::Continue:
            case T::Define:
            case T::Else:
            case T::End:
            case T::If:
            case T::Range:
            case T::Template:
            case T::With:
            case T::Nil:
                return "<" + t.val + ">";
            default:
                break;
        }
        std::string v = t.val.size() > 10 ? t.val.substr(0, 10) : t.val;
        return go::quote(v) + (t.val.size() > 10 ? "..." : "");
    }
    [[noreturn]] void unexpected(const Token& t, std::string_view context) {
        fail(fmt::format("unexpected {} in {}", itemString(t), context));
    }

    // One text or action; `stop` is End/Else when the action was {{end}} or {{else}}.
    struct Item {
        std::optional<Node> node;
        T stop = T::Eof;
    };
    Item textOrAction() {
        const Token& t = nextNonSpace();
        if (t.type == T::Text) return {Node{Node::Text, t.pos, t.val}, T::Eof};
        if (t.type == T::LeftDelim) return action();
        unexpected(t, "input");
    }

    Item action() {
        const Token& t = nextNonSpace();
        switch (t.type) {
            case T::Block:
            case T::Define:
            case T::Template:
                fail(fmt::format("{{{{{}}}}} is not supported", t.val));
            case T::Break:
            case T::Continue: {
                if (rangeDepth_ == 0) fail(fmt::format("{{{{{}}}}} outside {{{{range}}}}", t.val));
                const Token& d = nextNonSpace();
                if (d.type != T::RightDelim) unexpected(d, "{{" + t.val + "}}");
                return {Node{t.type == T::Break ? Node::Break : Node::Continue, t.pos}, T::Eof};
            }
            case T::Else: {
                T p = peekNonSpace().type;
                if (p != T::If && p != T::With) {
                    const Token& d = nextNonSpace();
                    if (d.type != T::RightDelim) unexpected(d, "else");
                }
                return {std::nullopt, T::Else};
            }
            case T::End: {
                const Token& d = nextNonSpace();
                if (d.type != T::RightDelim) unexpected(d, "end");
                return {std::nullopt, T::End};
            }
            case T::If:
                return {control(Node::If, "if"), T::Eof};
            case T::Range:
                return {control(Node::Range, "range"), T::Eof};
            case T::With:
                return {control(Node::With, "with"), T::Eof};
            default:
                break;
        }
        backup();
        Node n{Node::Action, t.pos};
        n.pipe = pipeline("command", T::RightDelim);
        return {std::move(n), T::Eof};
    }

    // Items up to {{end}} or {{else}}; returns which one ended the list.
    T itemList(std::vector<Node>& list) {
        while (peekNonSpace().type != T::Eof) {
            auto [n, stop] = textOrAction();
            if (stop != T::Eof) return stop;
            list.push_back(std::move(*n));
        }
        fail("unexpected EOF");
    }

    Node control(Node::Kind kind, const char* context) {
        size_t vars = vars_.size();
        Node n{kind};
        n.pipe = pipeline(context, T::RightDelim);
        n.pos = n.pipe->pos;
        if (kind == Node::Range) ++rangeDepth_;
        T stop = itemList(n.list);
        if (kind == Node::Range) --rangeDepth_;
        if (stop == T::Else) {
            // "{{else if x}}" is "{{else}}{{if x}}...{{end}}" sharing the outer {{end}}.
            T p = peekNonSpace().type;
            if ((kind == Node::If && p == T::If) || (kind == Node::With && p == T::With)) {
                next();
                n.elseList.push_back(control(kind, context));
            } else if (itemList(n.elseList) != T::End) {
                fail("expected end; found {{else}}");
            }
        }
        vars_.resize(vars);
        return n;
    }

    std::shared_ptr<Pipe> pipeline(std::string_view context, T end) {
        auto pipe = std::make_shared<Pipe>();
        pipe->pos = peekNonSpace().pos;
        for (;;) {  // declarations: "$x :=", "$x =", "$i, $v :=" (range only)
            if (peekNonSpace().type != T::Variable) break;
            size_t save = i_;
            const Token& v = next();
            const Token& n = peekNonSpace();
            if (n.type == T::Assign || n.type == T::Declare) {
                pipe->isAssign = n.type == T::Assign;
                next();
                pipe->decl.push_back(v.val);
                vars_.push_back(v.val);
                break;
            }
            if (n.type == T::Punct && n.val == ",") {
                next();
                pipe->decl.push_back(v.val);
                vars_.push_back(v.val);
                if (context == "range" && pipe->decl.size() < 2) {
                    T p = peekNonSpace().type;
                    if (p == T::Variable || p == T::RightDelim || p == T::RightParen) continue;
                    fail("range can only initialize variables");
                }
                fail(fmt::format("too many declarations in {}", context));
            }
            i_ = save;
            break;
        }
        for (;;) {
            const Token& t = nextNonSpace();
            if (t.type == end) {
                if (pipe->cmds.empty()) fail(fmt::format("missing value for {}", context));
                for (size_t i = 1; i < pipe->cmds.size(); ++i) {
                    const Expr& a = pipe->cmds[i].args[0];
                    if (a.kind == Expr::Literal || a.kind == Expr::Dot || a.kind == Expr::Nil)
                        fail(fmt::format("non executable command in pipeline stage {}", i + 1));
                }
                return pipe;
            }
            switch (t.type) {
                case T::Bool:
                case T::Char:
                case T::Dot:
                case T::Field:
                case T::Identifier:
                case T::Number:
                case T::Nil:
                case T::RawString:
                case T::String:
                case T::Variable:
                case T::LeftParen:
                    backup();
                    pipe->cmds.push_back(command());
                    break;
                default:
                    unexpected(t, context);
            }
        }
    }

    Command command() {
        Command cmd{peekNonSpace().pos};
        for (;;) {
            peekNonSpace();
            if (auto e = operand()) cmd.args.push_back(std::move(*e));
            const Token& t = next();
            if (t.type == T::Space) continue;
            if (t.type == T::RightDelim || t.type == T::RightParen)
                backup();
            else if (t.type != T::Pipe)
                unexpected(t, "operand");
            break;
        }
        if (cmd.args.empty()) fail("empty command");
        return cmd;
    }

    std::optional<Expr> operand() {
        auto node = term();
        if (!node || peek().type != T::Field) return node;
        size_t pos = peek().pos;
        std::vector<std::string> fields;
        while (peek().type == T::Field) fields.push_back(next().val.substr(1));
        switch (node->kind) {
            case Expr::Field:
            case Expr::Variable:
                node->fields.insert(node->fields.end(), fields.begin(), fields.end());
                node->pos = pos;
                return node;
            case Expr::Literal:
            case Expr::Nil:
            case Expr::Dot:
                fail(fmt::format("unexpected . after term {}", go::quote(tmpl::str(*node))));
            default: {
                Expr chain{Expr::Chain, pos};
                chain.fields = std::move(fields);
                chain.inner = std::make_shared<Expr>(std::move(*node));
                return chain;
            }
        }
    }

    std::optional<Expr> term() {
        const Token& t = nextNonSpace();
        switch (t.type) {
            case T::Identifier:
                if (!go::isFunction(t.val))
                    fail(fmt::format("function {} not defined", go::quote(t.val)));
                return Expr{Expr::Identifier, t.pos, t.val};
            case T::Dot:
                return Expr{Expr::Dot, t.pos};
            case T::Nil:
                return Expr{Expr::Nil, t.pos};
            case T::Variable: {
                if (std::find(vars_.begin(), vars_.end(), t.val) == vars_.end())
                    fail(fmt::format("undefined variable {}", go::quote(t.val)));
                return Expr{Expr::Variable, t.pos, t.val};
            }
            case T::Field: {
                Expr e{Expr::Field, t.pos};
                e.fields.push_back(t.val.substr(1));
                return e;
            }
            case T::Bool:
                return literal(t, json(t.val == "true"));
            case T::Char: {
                auto s = unquote(t.val);
                size_t i = 0;
                if (!s || s->empty() || (decodeUtf8(*s, i), i != s->size()))
                    fail("malformed character constant: " + t.val);
                i = 0;
                return literal(t, json(static_cast<int64_t>(decodeUtf8(*s, i))));
            }
            case T::Number:
                return literal(t, number(t.val));
            case T::LeftParen: {
                Expr e{Expr::Paren, t.pos};
                e.pipe = pipeline("parenthesized pipeline", T::RightParen);
                return e;
            }
            case T::String: {
                auto s = unquote(t.val);
                if (!s) fail("invalid syntax");
                return literal(t, json(*s));
            }
            case T::RawString:
                return literal(t, json(t.val.substr(1, t.val.size() - 2)));
            default:
                backup();
                return std::nullopt;
        }
    }

    static Expr literal(const Token& t, json v) {
        Expr e{Expr::Literal, t.pos, t.val};
        e.value = std::move(v);
        return e;
    }

    json number(const std::string& text) {
        std::string s;
        for (char c : text)
            if (c != '_') s += c;
        bool isHex = s.find_first_of("xX") != std::string::npos;
        bool isFloat = !isHex && s.find_first_of(".eE") != std::string::npos;
        try {
            size_t used = 0;
            if (isFloat) {
                double d = std::stod(s, &used);
                if (used == s.size()) return d;
            } else {
                std::string body = s;
                int base = 10;
                bool neg = !body.empty() && body[0] == '-';
                if (!body.empty() && (body[0] == '-' || body[0] == '+')) body.erase(0, 1);
                if (body.size() > 2 && body[0] == '0' &&
                    std::string("xXoObB").find(body[1]) != std::string::npos) {
                    base = (body[1] == 'x' || body[1] == 'X')   ? 16
                           : (body[1] == 'o' || body[1] == 'O') ? 8
                                                                : 2;
                    body.erase(0, 2);
                } else if (body.size() > 1 && body[0] == '0') {
                    base = 8;
                }
                int64_t v = std::stoll(body, &used, base);
                if (used == body.size()) return neg ? -v : v;
            }
        } catch (const std::out_of_range&) {
            fail(fmt::format("integer overflow: {}", go::quote(text)));
        } catch (const std::exception&) {
        }
        fail(fmt::format("illegal number syntax: {}", go::quote(text)));
    }

    std::string_view src_;
    std::vector<Token> toks_;
    size_t i_ = 0;
    size_t lastPos_ = 0;
    int rangeDepth_ = 0;
    std::vector<std::string> vars_{"$"};
};

}  // namespace

Result<Template> Template::parse(std::string_view text) {
    auto tree = std::make_shared<Tree>();
    tree->source = std::string(text);
    try {
        tree->root = Parser(tree->source, tmpl::lex(tree->source)).parse();
    } catch (const ParseError& e) {
        return invalid("{}", e.msg);
    }
    return Template(std::move(tree));
}

}  // namespace berth::cli
