// Internal to the template*.cpp files (Go's text/template over JSON): the lexer's tokens and
// the parse tree that the parser builds and the executor walks. template.h is the interface.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/template.h"

namespace berth::cli {

namespace tmpl {

// ---------------------------------------------------------------------------------------------
// Lexer (template_lex.cpp)

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

// The tokens of a template, ending with Eof or an Error token whose val is the message.
std::vector<Token> lex(std::string_view in);

// ---------------------------------------------------------------------------------------------
// Parse tree (template_parse.cpp)

struct Pipe;

struct Expr {
    enum Kind { Field, Variable, Dot, Nil, Literal, Identifier, Chain, Paren } kind;
    size_t pos = 0;
    std::string name;                 // Identifier, Variable ("$x"); literal source text
    std::vector<std::string> fields;  // Field, Variable, Chain: trailing field names
    nlohmann::json value;             // Literal
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

// The source text of a node, as Go prints it in errors.
std::string str(const Expr& e);
std::string str(const Command& c);
std::string str(const Pipe& p);

}  // namespace tmpl

struct Template::Tree {
    std::string source;
    std::vector<tmpl::Node> root;
};

}  // namespace berth::cli
