// Generated container names. The word lists are Berth's own: mild adjectives and surnames of
// scientists, mathematicians and engineers.
#include "engine/names.h"

#include <array>
#include <random>
#include <string_view>

namespace berth::engine {

namespace {

constexpr std::array<std::string_view, 100> kAdjectives = {
    "agile",    "amiable",  "ardent",  "astute",   "awake",    "balmy",    "bold",     "brave",
    "breezy",   "bright",   "brisk",   "calm",     "candid",   "careful",  "cheerful", "civil",
    "clever",   "cosmic",   "crisp",   "curious",  "daring",   "dapper",   "deft",     "devoted",
    "diligent", "dreamy",   "eager",   "earnest",  "elated",   "elegant",  "epic",     "fearless",
    "festive",  "fervent",  "fluent",  "focused",  "friendly", "frosty",   "gallant",  "generous",
    "gentle",   "gleaming", "glad",    "graceful", "grateful", "hardy",    "hearty",   "helpful",
    "honest",   "hopeful",  "humble",  "jolly",    "jovial",   "keen",     "kind",     "lively",
    "loyal",    "lucid",    "lucky",   "merry",    "mellow",   "mindful",  "modest",   "nifty",
    "nimble",   "noble",    "placid",  "plucky",   "poised",   "polite",   "proud",    "quick",
    "quiet",    "radiant",  "rapid",   "ready",    "resolute", "robust",   "rustic",   "serene",
    "sharp",    "shiny",    "sincere", "snappy",   "solid",    "spirited", "steady",   "stoic",
    "sunny",    "swift",    "tender",  "thrifty",  "tidy",     "tranquil", "trusty",   "upbeat",
    "vibrant",  "vivid",    "warm",    "witty",
};

constexpr std::array<std::string_view, 150> kSurnames = {
    "abel",         "agnesi",     "alhazen",    "ampere",    "archimedes",    "avogadro",
    "babbage",      "backus",     "banach",     "bardeen",   "bell",          "bernoulli",
    "bessel",       "bohr",       "boltzmann",  "boole",     "born",          "bose",
    "boyle",        "bragg",      "brahe",      "cantor",    "cardano",       "carnot",
    "carson",       "cauchy",     "cavendish",  "cerf",      "chandrasekhar", "chebyshev",
    "clausius",     "copernicus", "coulomb",    "crick",     "curie",         "dalton",
    "darwin",       "dedekind",   "descartes",  "dijkstra",  "dirac",         "doppler",
    "edison",       "ehrenfest",  "einstein",   "engelbart", "erdos",         "euclid",
    "euler",        "faraday",    "fermat",     "fermi",     "feynman",       "fibonacci",
    "fleming",      "foucault",   "fourier",    "franklin",  "fresnel",       "galileo",
    "galois",       "gauss",      "germain",    "gibbs",     "godel",         "goodall",
    "hamming",      "hawking",    "heisenberg", "helmholtz", "hertz",         "hilbert",
    "hodgkin",      "hooke",      "hopper",     "hubble",    "huygens",       "jacobi",
    "joule",        "kelvin",     "kepler",     "kirchhoff", "knuth",         "kolmogorov",
    "kovalevskaya", "lagrange",   "lamarr",     "laplace",   "lavoisier",     "leavitt",
    "legendre",     "leibniz",    "lemaitre",   "liskov",    "lovelace",      "lorentz",
    "maxwell",      "mcclintock", "meitner",    "mendel",    "mendeleev",     "michelson",
    "minkowski",    "mirzakhani", "moore",      "napier",    "nash",          "neumann",
    "newton",       "noether",    "nobel",      "ohm",       "oersted",       "pascal",
    "pasteur",      "pauli",      "pauling",    "peano",     "planck",        "poincare",
    "poisson",      "ptolemy",    "pythagoras", "raman",     "ramanujan",     "rayleigh",
    "riemann",      "ritchie",    "rutherford", "sagan",     "salk",          "schrodinger",
    "shannon",      "snell",      "somerville", "stokes",    "tesla",         "thompson",
    "torvalds",     "turing",     "volta",      "wallace",   "watt",          "weierstrass",
    "wiener",       "wilkes",     "wirth",      "wu",        "yalow",         "zuse",
};

bool isAlnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

}  // namespace

std::string randomName() {
    thread_local std::mt19937_64 rng{std::random_device{}()};
    std::uniform_int_distribution<size_t> adj(0, kAdjectives.size() - 1);
    std::uniform_int_distribution<size_t> sur(0, kSurnames.size() - 1);
    std::string out(kAdjectives[adj(rng)]);
    out += '_';
    out += kSurnames[sur(rng)];
    return out;
}

bool validName(const std::string& name) {
    std::string_view s = name;
    if (!s.empty() && s.front() == '/') s.remove_prefix(1);
    if (s.size() < 2 || !isAlnum(s.front())) return false;
    for (char c : s.substr(1))
        if (!isAlnum(c) && c != '_' && c != '.' && c != '-') return false;
    return true;
}

}  // namespace berth::engine
