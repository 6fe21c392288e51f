import { randomInt } from "node:crypto";

// RDS master passwords may not contain "/", '"', "@" or a space; these symbols are also safe in psql and URLs.
const lower = "abcdefghijkmnopqrstuvwxyz";
const upper = "ABCDEFGHJKLMNPQRSTUVWXYZ";
const digits = "23456789";
const symbols = "-_.~!#%^*+=";
const alphabet = lower + upper + digits + symbols;

export const PASSWORD_LENGTH = 40;

/** A strong random password (crypto RNG) with every character class, none that RDS forbids. */
export function generatePassword(length = PASSWORD_LENGTH): string {
  if (length < 32) throw new Error(`generatePassword: length ${length} is too short; use 32 or more`);
  for (;;) {
    let out = "";
    for (let i = 0; i < length; i++) out += alphabet[randomInt(alphabet.length)];
    if ([lower, upper, digits, symbols].every((set) => [...out].some((c) => set.includes(c)))) return out;
  }
}
