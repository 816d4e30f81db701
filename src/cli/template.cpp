// Lexer, parser and executor for Go text/template over JSON. The structure follows Go's
// text/template/parse so that parse errors and edge cases (trim markers, "else if", variable
// scoping, pipelines passing their value as the last argument) behave the same.
#include "cli/template.h"

#include <algorithm>
#include <map>
#include <optional>

#include <nlohmann/json.hpp>

#include "cli/format.h"
#include "cli/units.h"

namespace berth::cli {

using nlohmann::json;

namespace {

// ---------------------------------------------------------------------------------------------
// Lexer

enum class T {
    Error,
    Eof,
    Text,
    LeftDelim,
    RightDelim,
    Space,
    Field,
    Variable,
    Identifier,
    Dot,
    Nil,
    Bool,
    Number,
    Char,
    String,
    RawString,
    Pipe,
    Declare,
    Assign,
    LeftParen,
    RightParen,
    Punct,
    // keywords
    Block,
    Break,
    Continue,
    Define,
    Else,
    End,
    If,
    Range,
    Template,
    With
};

struct Token {
    T type;
    std::string val;
    size_t pos;
};

bool isSpace(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}
bool isAlnum(char c) {
    auto u = static_cast<unsigned char>(c);
    return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           u >= 0x80;  // non-ASCII: taken as letters
}
bool isDigit(char c) {
    return c >= '0' && c <= '9';
}

std::string runeRepr(char c) {
    auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7F) return fmt::format("U+{:04X} '{}'", u, c);
    return fmt::format("U+{:04X}", u);
}

class Lexer {
  public:
    explicit Lexer(std::string_view in) : in_(in) {}

    std::vector<Token> run() {
        while (lexText()) {
        }
        return std::move(toks_);
    }

  private:
    void emit(T t) {
        toks_.push_back({t, std::string(in_.substr(start_, pos_ - start_)), start_});
        start_ = pos_;
    }
    bool error(std::string msg) {
        toks_.push_back({T::Error, std::move(msg), start_});
        return false;
    }
    char at(size_t p) const { return p < in_.size() ? in_[p] : '\0'; }
    bool startsWith(size_t p, std::string_view s) const {
        return p <= in_.size() && in_.substr(p).starts_with(s);
    }
    bool hasRightTrim(size_t p) const { return isSpace(at(p)) && startsWith(p + 1, "-}}"); }
    bool atTerminator() const {
        char c = at(pos_);
        return pos_ >= in_.size() || isSpace(c) || c == '.' || c == ',' || c == '|' || c == ':' ||
               c == ')' || c == '(' || c == '}';
    }

    bool lexText() {
        size_t x = in_.find("{{", pos_);
        if (x == std::string_view::npos) {
            pos_ = in_.size();
            if (pos_ > start_) emit(T::Text);
            emit(T::Eof);
            return false;
        }
        bool trim = at(x + 2) == '-' && isSpace(at(x + 3));
        pos_ = x;
        if (trim)
            while (pos_ > start_ && isSpace(in_[pos_ - 1])) --pos_;
        if (pos_ > start_) emit(T::Text);
        start_ = x;
        pos_ = x + 2;
        size_t after = trim ? 2 : 0;
        if (startsWith(pos_ + after, "/*")) return lexComment(pos_ + after);
        emit(T::LeftDelim);
        pos_ += after;
        start_ = pos_;
        parenDepth_ = 0;
        return lexInsideAction();
    }

    bool lexComment(size_t p) {
        size_t end = in_.find("*/", p + 2);
        if (end == std::string_view::npos) return error("unclosed comment");
        p = end + 2;
        bool trim = hasRightTrim(p);
        if (trim) p += 2;
        if (!startsWith(p, "}}")) return error("comment ends before closing delimiter");
        pos_ = p + 2;
        if (trim)
            while (pos_ < in_.size() && isSpace(in_[pos_])) ++pos_;
        start_ = pos_;
        return true;
    }

    bool lexInsideAction() {
        for (;;) {
            bool trim = hasRightTrim(pos_);
            if (trim || startsWith(pos_, "}}")) {
                if (parenDepth_ != 0) return error("unclosed left paren");
                if (trim) pos_ += 2;
                start_ = pos_;
                pos_ += 2;
                emit(T::RightDelim);
                if (trim)
                    while (pos_ < in_.size() && isSpace(in_[pos_])) ++pos_;
                start_ = pos_;
                return true;
            }
            if (pos_ >= in_.size()) return error("unclosed action");
            char c = in_[pos_];
            if (isSpace(c)) {
                size_t n = 0;
                for (; pos_ < in_.size() && isSpace(in_[pos_]); ++n) ++pos_;
                if (hasRightTrim(pos_ - 1)) {  // the last space belongs to " -}}"
                    --pos_;
                    if (n == 1) continue;
                }
                emit(T::Space);
                continue;
            }
            bool ok = true;
            switch (c) {
                case '=':
                    ++pos_, emit(T::Assign);
                    break;
                case ':':
                    if (at(pos_ + 1) != '=') return error("expected :=");
                    pos_ += 2, emit(T::Declare);
                    break;
                case '|':
                    ++pos_, emit(T::Pipe);
                    break;
                case '(':
                    ++pos_, ++parenDepth_, emit(T::LeftParen);
                    break;
                case ')':
                    ++pos_;
                    if (--parenDepth_ < 0) return error("unexpected right paren");
                    emit(T::RightParen);
                    break;
                case '"':
                    ok = lexQuote('"', T::String, "unterminated quoted string");
                    break;
                case '\'':
                    ok = lexQuote('\'', T::Char, "unterminated character constant");
                    break;
                case '`':
                    ok = lexRaw();
                    break;
                case '$':
                    ok = lexFieldOrVariable(T::Variable);
                    break;
                case '.':
                    ok = isDigit(at(pos_ + 1)) ? lexNumber() : lexFieldOrVariable(T::Field);
                    break;
                default:
                    if (c == '+' || c == '-' || isDigit(c)) {
                        ok = lexNumber();
                    } else if (isAlnum(c)) {
                        ok = lexIdentifier();
                    } else if (c > 0x20 && c < 0x7F) {
                        ++pos_, emit(T::Punct);
                    } else {
                        return error("unrecognized character in action: " + runeRepr(c));
                    }
            }
            if (!ok) return false;
        }
    }

    bool lexQuote(char q, T type, const char* err) {
        for (++pos_;; ++pos_) {
            char c = at(pos_);
            if (c == '\\' && pos_ + 1 < in_.size() && in_[pos_ + 1] != '\n') {
                ++pos_;
                continue;
            }
            if (pos_ >= in_.size() || c == '\n' || c == '\\') return error(err);
            if (c == q) break;
        }
        ++pos_;
        emit(type);
        return true;
    }

    bool lexRaw() {
        size_t end = in_.find('`', pos_ + 1);
        if (end == std::string_view::npos) return error("unterminated raw quoted string");
        pos_ = end + 1;
        emit(T::RawString);
        return true;
    }

    bool lexFieldOrVariable(T type) {
        ++pos_;
        if (atTerminator()) {
            emit(type == T::Field ? T::Dot : T::Variable);
            return true;
        }
        while (pos_ < in_.size() && isAlnum(in_[pos_])) ++pos_;
        if (!atTerminator()) return error("bad character " + runeRepr(in_[pos_]));
        emit(type);
        return true;
    }

    bool lexIdentifier() {
        while (pos_ < in_.size() && isAlnum(in_[pos_])) ++pos_;
        if (!atTerminator()) return error("bad character " + runeRepr(in_[pos_]));
        static const std::map<std::string_view, T> kKeywords = {{"block", T::Block},
                                                                {"break", T::Break},
                                                                {"continue", T::Continue},
                                                                {"define", T::Define},
                                                                {"else", T::Else},
                                                                {"end", T::End},
                                                                {"if", T::If},
                                                                {"range", T::Range},
                                                                {"nil", T::Nil},
                                                                {"template", T::Template},
                                                                {"with", T::With},
                                                                {"true", T::Bool},
                                                                {"false", T::Bool}};
        auto it = kKeywords.find(in_.substr(start_, pos_ - start_));
        emit(it == kKeywords.end() ? T::Identifier : it->second);
        return true;
    }

    bool lexNumber() {
        auto accept = [&](std::string_view set) {
            if (pos_ < in_.size() && set.find(in_[pos_]) != std::string_view::npos) {
                ++pos_;
                return true;
            }
            return false;
        };
        auto acceptRun = [&](std::string_view set) {
            while (accept(set)) {
            }
        };
        accept("+-");
        std::string_view digits = "0123456789_";
        if (accept("0")) {
            if (accept("xX"))
                digits = "0123456789abcdefABCDEF_";
            else if (accept("oO"))
                digits = "01234567_";
            else if (accept("bB"))
                digits = "01_";
        }
        acceptRun(digits);
        if (accept(".")) acceptRun(digits);
        if (digits.size() == 11 && accept("eE")) {
            accept("+-");
            acceptRun("0123456789_");
        }
        if (pos_ < in_.size() && isAlnum(in_[pos_])) {
            ++pos_;
            return error(
                fmt::format("bad number syntax: \"{}\"", in_.substr(start_, pos_ - start_)));
        }
        emit(T::Number);
        return true;
    }

    std::string_view in_;
    size_t pos_ = 0, start_ = 0;
    int parenDepth_ = 0;
    std::vector<Token> toks_;
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// Parse tree

namespace tmpl {

struct Pipe;

struct Expr {
    enum Kind { Field, Variable, Dot, Nil, Literal, Identifier, Chain, Paren } kind;
    size_t pos = 0;
    std::string name;                 // Identifier, Variable ("$x"); literal source text
    std::vector<std::string> fields;  // Field, Variable, Chain: trailing field names
    json value;                       // Literal
    std::shared_ptr<Pipe> pipe;       // Paren
    std::shared_ptr<Expr> inner;      // Chain: the term the fields apply to
};

struct Command {
    size_t pos = 0;
    std::vector<Expr> args;
};

struct Pipe {
    size_t pos = 0;
    bool isAssign = false;
    std::vector<std::string> decl;
    std::vector<Command> cmds;
};

struct Node {
    enum Kind { Text, Action, If, Range, With, Break, Continue } kind;
    size_t pos = 0;
    std::string text;
    std::shared_ptr<Pipe> pipe;
    std::vector<Node> list, elseList;
};

std::string str(const Pipe& p);

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

struct Template::Tree {
    std::string source;
    std::vector<tmpl::Node> root;
};

namespace {

using tmpl::Command;
using tmpl::Expr;
using tmpl::Node;
using tmpl::Pipe;

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

// ---------------------------------------------------------------------------------------------
// Execution

struct ExecError {
    std::string msg;
};

enum class Flow { Normal, Break, Continue };

const json kMissing = json(json::value_t::discarded);

bool isMissing(const json& v) {
    return v.is_discarded();
}

class Exec {
  public:
    Exec(const Template::Tree& tree, const ExecOptions& opts, std::string& out)
        : tree_(tree), opts_(opts), out_(out) {}

    void run(const json& data) {
        vars_.emplace_back("$", data.is_null() ? kMissing : data);
        walkList(vars_.back().second, tree_.root);
    }

  private:
    // Go's s.at(node): errors name the node being evaluated.
    void at(size_t pos, std::string context) {
        atPos_ = pos;
        atContext_ = std::move(context);
    }
    void at(const Expr& e) { at(e.pos, tmpl::str(e)); }

    template <typename... A>
    [[noreturn]] void fail(fmt::format_string<A...> f, A&&... a) {
        size_t line = 1, lineStart = 0;
        for (size_t i = 0; i < atPos_ && i < tree_.source.size(); ++i)
            if (tree_.source[i] == '\n') ++line, lineStart = i + 1;
        const std::string& ctx = atContext_;
        throw ExecError{fmt::format("template: :{}:{}: executing \"\" at <{}>: {}", line,
                                    atPos_ - lineStart, ctx,
                                    fmt::format(f, std::forward<A>(a)...))};
    }

    Flow walkList(const json& dot, const std::vector<Node>& list) {
        for (const Node& n : list) {
            Flow f = walk(dot, n);
            if (f != Flow::Normal) return f;
        }
        return Flow::Normal;
    }

    Flow walk(const json& dot, const Node& n) {
        switch (n.kind) {
            case Node::Text:
                out_ += n.text;
                return Flow::Normal;
            case Node::Action: {
                json v = evalPipeline(dot, *n.pipe);
                if (n.pipe->decl.empty()) out_ += isMissing(v) ? "<no value>" : go::print(v);
                return Flow::Normal;
            }
            case Node::Break:
                return Flow::Break;
            case Node::Continue:
                return Flow::Continue;
            case Node::Range:
                return walkRange(dot, n);
            case Node::If:
            case Node::With: {
                size_t mark = vars_.size();
                json v = evalPipeline(dot, *n.pipe);
                Flow f = Flow::Normal;
                if (go::truth(v))
                    f = walkList(n.kind == Node::With ? v : dot, n.list);
                else
                    f = walkList(dot, n.elseList);
                vars_.resize(mark);
                return f;
            }
        }
        return Flow::Normal;
    }

    Flow walkRange(const json& dot, const Node& n) {
        size_t mark = vars_.size();
        json v = evalPipeline(dot, *n.pipe);
        size_t ndecl = n.pipe->decl.size();
        bool any = false;
        auto one = [&](const json& index, const json& elem) {
            any = true;
            if (ndecl > 0) vars_[vars_.size() - 1].second = elem;
            if (ndecl > 1) vars_[vars_.size() - 2].second = index;
            size_t iterMark = vars_.size();
            Flow f = walkList(elem, n.list);
            vars_.resize(iterMark);
            return f != Flow::Break;
        };
        if (v.is_array()) {
            for (size_t i = 0; i < v.size(); ++i)
                if (!one(json(static_cast<int64_t>(i)), v[i])) break;
        } else if (v.is_object()) {
            for (auto it = v.begin(); it != v.end(); ++it)
                if (!one(json(it.key()), it.value())) break;
        } else if (v.is_number_integer()) {
            if (ndecl > 1) {
                at(n.pipe->cmds.back().args[0]);
                fail("can't use {} to iterate over more than one variable", go::print(v));
            }
            for (int64_t i = 0; i < v.get<int64_t>(); ++i)
                if (!one(json(i), json(i))) break;
        } else if (!isMissing(v) && !v.is_null()) {
            at(n.pipe->cmds.back().args[0]);
            fail("range can't iterate over {}", go::print(v));
        }
        if (!any) walkList(dot, n.elseList);
        vars_.resize(mark);
        return Flow::Normal;
    }

    json evalPipeline(const json& dot, const Pipe& pipe) {
        json value = kMissing;
        for (size_t i = 0; i < pipe.cmds.size(); ++i) {
            value = evalCommand(dot, pipe.cmds[i], i == 0 ? nullptr : &value);
            if (value.is_null()) value = kMissing;  // Go unwraps a nil interface to no value
        }
        for (const auto& name : pipe.decl) {
            if (!pipe.isAssign) {
                vars_.emplace_back(name, value);
                continue;
            }
            for (auto it = vars_.rbegin(); it != vars_.rend(); ++it)
                if (it->first == name) {
                    it->second = value;
                    break;
                }
        }
        return value;
    }

    json evalCommand(const json& dot, const Command& cmd, const json* final) {
        const Expr& first = cmd.args[0];
        switch (first.kind) {
            case Expr::Field:
                return evalFieldChain(dot, dot, first, first.fields, &cmd, final);
            case Expr::Chain:
                return evalChain(dot, first, &cmd, final);
            case Expr::Identifier:
                return evalFunction(dot, first, &cmd, final);
            case Expr::Variable:
                return evalVariable(dot, first, &cmd, final);
            default:
                break;
        }
        at(first);
        if (cmd.args.size() > 1 || final)
            fail("can't give argument to non-function {}", tmpl::str(first));
        switch (first.kind) {
            case Expr::Paren:
                return evalPipeline(dot, *first.pipe);
            case Expr::Dot:
                return dot;
            case Expr::Nil:
                fail("nil is not a command");
            default:
                return first.value;
        }
    }

    // An argument of a function or method: no value becomes null (Go's zero interface).
    json evalArg(const json& dot, const Expr& e) {
        at(e);
        json v;
        switch (e.kind) {
            case Expr::Dot:
                v = dot;
                break;
            case Expr::Nil:
                v = nullptr;
                break;
            case Expr::Literal:
                v = e.value;
                break;
            case Expr::Field:
                v = evalFieldChain(dot, dot, e, e.fields, nullptr, nullptr);
                break;
            case Expr::Variable:
                v = evalVariable(dot, e, nullptr, nullptr);
                break;
            case Expr::Chain:
                v = evalChain(dot, e, nullptr, nullptr);
                break;
            case Expr::Paren:
                v = evalPipeline(dot, *e.pipe);
                break;
            case Expr::Identifier:
                v = evalFunction(dot, e, nullptr, nullptr);
                break;
        }
        return isMissing(v) ? json(nullptr) : v;
    }

    json evalVariable(const json& dot, const Expr& e, const Command* cmd, const json* final) {
        at(e);
        json value = kMissing;
        auto it = std::find_if(vars_.rbegin(), vars_.rend(),
                               [&](const auto& v) { return v.first == e.name; });
        if (it == vars_.rend()) fail("undefined variable: {}", e.name);
        value = it->second;
        if (e.fields.empty()) {
            if ((cmd && cmd->args.size() > 1) || final)
                fail("can't give argument to non-function {}", tmpl::str(e));
            return value;
        }
        return evalFieldChain(dot, value, e, e.fields, cmd, final);
    }

    json evalChain(const json& dot, const Expr& e, const Command* cmd, const json* final) {
        at(e);
        if (e.inner->kind == Expr::Nil)
            fail("indirection through explicit nil in {}", tmpl::str(e));
        json receiver = evalArg(dot, *e.inner);
        return evalFieldChain(dot, receiver, e, e.fields, cmd, final);
    }

    json evalFieldChain(const json& dot, json receiver, const Expr& node,
                        const std::vector<std::string>& idents, const Command* cmd,
                        const json* final) {
        at(node);
        for (size_t i = 0; i + 1 < idents.size(); ++i)
            receiver = evalField(dot, idents[i], node, nullptr, nullptr, receiver);
        return evalField(dot, idents.back(), node, cmd, final, receiver);
    }

    json evalField(const json& dot, const std::string& name, const Expr& node, const Command* cmd,
                   const json* final, const json& receiver) {
        if (isMissing(receiver) || receiver.is_null()) {
            if (opts_.missingKeyError) fail("nil data; no entry for key \"{}\"", name);
            return kMissing;
        }
        if (!receiver.is_object())
            fail("can't evaluate field {} in type {}", name, go::typeName(receiver));
        auto it = receiver.find(name);
        bool hasArgs = (cmd && cmd->args.size() > 1) || final;
        if (hasArgs) {
            // Stands in for docker's methods, e.g. ContainerContext.Label(name).
            if (it == receiver.end() || !it->is_object())
                fail("{} is not a method but has arguments", name);
            std::vector<json> keys;
            for (size_t i = 1; cmd && i < cmd->args.size(); ++i)
                keys.push_back(evalArg(dot, cmd->args[i]));
            if (final) keys.push_back(isMissing(*final) ? json(nullptr) : *final);
            at(node);
            return indexInto(*it, keys);
        }
        if (it == receiver.end()) {
            if (opts_.missingKeyError) fail("map has no entry for key \"{}\"", name);
            return kMissing;
        }
        return *it;
    }

    json indexInto(json item, const std::vector<json>& keys) {
        auto r = go::index(item, keys);
        if (!r) fail("error calling index: {}", r.error().msg);
        return std::move(r).value();
    }

    json evalFunction(const json& dot, const Expr& ident, const Command* cmd, const json* final) {
        at(ident);
        const std::string& name = ident.name;
        std::vector<const Expr*> argNodes;
        for (size_t i = 1; cmd && i < cmd->args.size(); ++i) argNodes.push_back(&cmd->args[i]);
        size_t n = argNodes.size() + (final ? 1 : 0);
        auto finalArg = [&] { return isMissing(*final) ? json(nullptr) : *final; };
        if (name == "and" || name == "or") {  // short-circuit, returning the deciding value
            if (n < 1) fail("wrong number of args for {}: want at least 1 got 0", name);
            json v;
            for (size_t i = 0; i < n; ++i) {
                v = i < argNodes.size() ? evalArg(dot, *argNodes[i]) : finalArg();
                if (go::truth(v) == (name == "or")) return v;
            }
            return v;
        }
        std::vector<json> args;
        for (const Expr* a : argNodes) args.push_back(evalArg(dot, *a));
        if (final) args.push_back(finalArg());
        at(ident);
        auto arity = go::arity(name, opts_.headerFunctions);
        if (arity.variadic && n < arity.n)
            fail("wrong number of args for {}: want at least {} got {}", name, arity.n, n);
        if (!arity.variadic && n != arity.n)
            fail("wrong number of args for {}: want {} got {}", name, arity.n, n);
        if (cmd) at(cmd->pos, tmpl::str(*cmd));
        auto r = go::call(name, args, opts_.headerFunctions);
        if (!r) fail("{}", r.error().msg);
        return std::move(r).value();
    }

    const Template::Tree& tree_;
    const ExecOptions& opts_;
    std::string& out_;
    std::vector<std::pair<std::string, json>> vars_;
    size_t atPos_ = 0;
    std::string atContext_;
};

}  // namespace

Result<Template> Template::parse(std::string_view text) {
    auto tree = std::make_shared<Tree>();
    tree->source = std::string(text);
    try {
        tree->root = Parser(tree->source, Lexer(tree->source).run()).parse();
    } catch (const ParseError& e) {
        return invalid("{}", e.msg);
    }
    return Template(std::move(tree));
}

bool Template::run(const json& data, const ExecOptions& opts, std::string& out,
                   std::string& err) const {
    try {
        Exec(*tree_, opts, out).run(data);
        return true;
    } catch (const ExecError& e) {
        err = e.msg;
        return false;
    }
}

Result<std::string> Template::execute(const json& data, const ExecOptions& opts) const {
    std::string out, err;
    if (!run(data, opts, out, err)) return invalid("{}", err);
    return out;
}

std::string Template::executePartial(const json& data, const ExecOptions& opts) const {
    std::string out, err;
    run(data, opts, out, err);
    return out;
}

}  // namespace berth::cli
