#!/usr/bin/env bash
# Generates the hall display's spoken-call clips with espeak-ng (Vietnamese
# voice): "Mời số", the letters A–Z as Vietnamese spells them, the digits
# 0–9, "đến quầy số" and the counter numbers 1–50, into
# ui/static/display/audio/ with a manifest.json the display reads. The page
# joins the clips ("Mời số" A 0 1 2 "đến quầy số" 3), so calls are spoken
# offline. The clips are generated, not committed (.gitignore); go:embed
# picks them up when present, and without them the display chimes only.
#
# With sox the clips are trimmed of silence and encoded as Ogg Vorbis when
# sox can write it (else trimmed WAV); without sox they stay espeak-ng's WAV.
#
# Usage: ui/audio/generate.sh [-f]   (-f regenerates even when up to date)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
display="$(cd "$here/../static/display" && pwd)"
out="$display/audio"
manifest="$out/manifest.json"

force=0
if [ "${1:-}" = "-f" ]; then force=1; fi

if ! command -v espeak-ng >/dev/null 2>&1; then
  echo "ui/audio/generate.sh: espeak-ng is missing (Debian package espeak-ng; run provisioning/dev-deps.sh test)" >&2
  exit 1
fi

# Up to date: the manifest is newer than this script.
if [ "$force" = 0 ] && [ -f "$manifest" ] && [ "$manifest" -nt "${BASH_SOURCE[0]}" ]; then
  exit 0
fi

ext=wav
have_sox=0
if command -v sox >/dev/null 2>&1; then
  have_sox=1
  if sox -h 2>/dev/null | grep -q 'AUDIO FILE FORMATS:.* ogg'; then ext=ogg; fi
fi

tmp="$(mktemp -d "$display/.audio.XXXXXX")"
chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT

speed=145 # words per minute: a little slower than espeak-ng's default

# clip NAME TEXT: speaks TEXT into $tmp/NAME.$ext.
clip() {
  local name="$1" text="$2"
  local raw="$tmp/$name.raw.wav"
  espeak-ng -v vi -s "$speed" -w "$raw" -- "$text"
  if [ "$have_sox" = 1 ]; then
    # Trim leading and trailing silence, keep a short pause at the end.
    if [ "$ext" = ogg ]; then
      sox "$raw" -C 4 "$tmp/$name.ogg" silence 1 0.02 0.5% reverse silence 1 0.02 0.5% reverse pad 0 0.06
    else
      sox "$raw" "$tmp/$name.wav" silence 1 0.02 0.5% reverse silence 1 0.02 0.5% reverse pad 0 0.06
    fi
    rm -f "$raw"
  else
    mv "$raw" "$tmp/$name.wav"
  fi
}

# Vietnamese words of 1–99, as a caller says a counter number.
number_words() {
  local n="$1"
  local -a d=(không một hai ba bốn năm sáu bảy tám chín)
  if [ "$n" -lt 10 ]; then
    printf '%s' "${d[$n]}"
    return
  fi
  local tens=$((n / 10)) ones=$((n % 10)) s
  if [ "$tens" = 1 ]; then s="mười"; else s="${d[$tens]} mươi"; fi
  case "$ones" in
    0) ;;
    1) if [ "$tens" = 1 ]; then s="$s một"; else s="$s mốt"; fi ;;
    4) if [ "$tens" = 1 ]; then s="$s bốn"; else s="$s tư"; fi ;;
    5) s="$s lăm" ;;
    *) s="$s ${d[$ones]}" ;;
  esac
  printf '%s' "$s"
}

entries=()
add() { # add KEY NAME TEXT
  clip "$2" "$3"
  entries+=("\"$1\": \"$2.$ext\"")
}

add call moi-so "Mời số"
add to_counter den-quay-so "đến quầy số"

# Letters as Vietnamese spells them (F, J, W, Z by their usual loan names).
declare -A letters=(
  [A]="a" [B]="bê" [C]="xê" [D]="dê" [E]="e" [F]="ép" [G]="giê" [H]="hát"
  [I]="i" [J]="gi" [K]="ca" [L]="e lờ" [M]="em mờ" [N]="en nờ" [O]="o"
  [P]="pê" [Q]="quy" [R]="e rờ" [S]="ét xì" [T]="tê" [U]="u" [V]="vê"
  [W]="vê kép" [X]="ích xì" [Y]="i dài" [Z]="dét"
)
for l in A B C D E F G H I J K L M N O P Q R S T U V W X Y Z; do
  add "letter.$l" "letter-${l,,}" "${letters[$l]}"
done

for n in 0 1 2 3 4 5 6 7 8 9; do
  add "digit.$n" "digit-$n" "$(number_words "$n")"
done

for n in $(seq 1 50); do
  add "number.$n" "number-$n" "$(number_words "$n")"
done

{
  printf '{\n  "version": 1,\n  "lang": "vi",\n  "format": "%s",\n  "clips": {\n' "$ext"
  last=$((${#entries[@]} - 1))
  for i in "${!entries[@]}"; do
    sep=","
    if [ "$i" = "$last" ]; then sep=""; fi
    printf '    %s%s\n' "${entries[$i]}" "$sep"
  done
  printf '  }\n}\n'
} >"$tmp/manifest.json"

# Replace the folder whole, so the display never sees half a set.
rm -rf "$out.old"
if [ -d "$out" ]; then mv "$out" "$out.old"; fi
mv "$tmp" "$out"
trap - EXIT
rm -rf "$out.old"
echo "ui/audio/generate.sh: $(( ${#entries[@]} )) clips ($ext) in ui/static/display/audio" >&2
