# bash completion for xsync(1)                             -*- shell-script -*-
#
# Works with the bash-completion package when it is loaded, and falls back
# to plain compgen when its helpers (_init_completion, _filedir) are absent.
#
# xsync mirrors when its first word is not a command (rsync's options and
# operands, in any order); a command comes first, then that command's
# options, then its operands: options are offered only before the first
# operand.

_xsync_commands='snapshot list prune diff verify manifest export'

_xsync_mirror_opts='-a --archive -r --recursive -l --links -p --perms -t --times
    -o --owner -g --group -D --devices --specials -H --hard-links -A --acls
    -X --xattrs -x --one-file-system --delete --delete-during
    --delete-excluded --max-delete= --exclude= --include= --exclude-from=
    --include-from= -0 --from0 -f --filter= -n --dry-run -i --itemize-changes
    -c --checksum --link-dest= --reflink-dest= -j --jobs= --progress -P
    --no-progress --info= --stats --json --null -v --verbose -q --quiet
    --numeric-ids --fsync --help --version'

# _xsync_files [-d]: complete file names (directories only with -d) for $cur.
_xsync_files()
{
    if declare -F _filedir >/dev/null 2>&1; then
        if [[ ${1-} == -d ]]; then
            _filedir -d
        else
            _filedir
        fi
        return
    fi
    local kind=-f
    [[ ${1-} == -d ]] && kind=-d
    compopt -o filenames 2>/dev/null
    # Added to the replies, as _filedir does.
    mapfile -t -O "${#COMPREPLY[@]}" COMPREPLY < <(compgen "$kind" -- "$cur")
}

# _xsync_opts COMMAND: the options that COMMAND takes.
_xsync_opts()
{
    case $1 in
        manifest) echo '-j --jobs= -o --output= --help --version' ;;
        verify) echo '-0 --null -j --jobs= --json -v --verbose --help
            --version' ;;
        export) echo '--format= -o --output= --help --version' ;;
        snapshot) echo '--link --wait --fsync -c --checksum -x --one-file-system
            --exclude= --include= --exclude-from= --include-from= -0 --from0
            -f --filter= -i --itemize-changes -v --verbose -q --quiet --stats
            --progress --no-progress --json --null -j --jobs= --help' ;;
        list) echo '-0 --null -h --human-readable --json --help' ;;
        prune) echo '--keep-last= --keep-hourly= --keep-daily= --keep-weekly=
            --keep-monthly= --keep-yearly= -0 --null -n --dry-run -v --verbose
            --json --wait --help' ;;
        diff) echo '-0 --null --json --help' ;;
    esac
}

_xsync()
{
    local cur prev words cword split=false

    if declare -F _init_completion >/dev/null 2>&1; then
        _init_completion -s || return
    else
        COMPREPLY=()
        words=("${COMP_WORDS[@]}")
        cword=$COMP_CWORD
        cur=${COMP_WORDS[COMP_CWORD]}
        prev=
        ((cword > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
        # Readline splits "--opt=value" at '=' when '=' is in
        # COMP_WORDBREAKS: the words are then "--opt" "=" "value".
        if [[ $cur == = ]] && ((cword > 0)); then
            cur=
            split=true
        elif [[ $prev == = ]] && ((cword > 1)); then
            prev=${COMP_WORDS[COMP_CWORD - 2]}
            split=true
        elif [[ $cur == --?*=* ]]; then
            prev=${cur%%=*}
            cur=${cur#*=}
            split=true
        fi
    fi

    # The command, or the mirror's options and operands.
    if ((cword <= 1)) && [[ $cur != -* ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$_xsync_commands" -- "$cur")
        _xsync_files
        return 0
    fi
    local cmd=${words[1]}
    case $cmd in
        manifest | verify | export | snapshot | list | prune | diff) ;;
        *)
            if $split; then
                case $prev in
                    --info) mapfile -t COMPREPLY < <(compgen -W 'progress2 stats' -- "$cur") ;;
                    --exclude-from | --include-from) _xsync_files ;;
                    --link-dest | --reflink-dest) _xsync_files -d ;;
                    *) COMPREPLY=() ;;
                esac
            elif [[ $cur == -* ]]; then
                mapfile -t COMPREPLY < <(compgen -W "$_xsync_mirror_opts" -- "$cur")
                if [[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == *= ]]; then
                    compopt -o nospace 2>/dev/null
                fi
            else
                _xsync_files
            fi
            return 0
            ;;
    esac

    # Readline replaces only the text after '=' when '=' is a word break;
    # otherwise the "--opt=" part has to be part of every reply.
    local pfx=
    if $split && [[ $COMP_WORDBREAKS != *=* ]]; then
        pfx=$prev=
    fi

    local i w
    if $split; then
        case $prev in
            --format)
                mapfile -t COMPREPLY < <(compgen -W 'mtree xxhsum' -- "$cur")
                ;;
            --output)
                _xsync_files
                ;;
            *)
                # --jobs: a number
                COMPREPLY=()
                ;;
        esac
        if [[ $pfx ]]; then
            for i in "${!COMPREPLY[@]}"; do
                COMPREPLY[i]=$pfx${COMPREPLY[i]}
            done
        fi
        return 0
    fi

    # Options whose argument is a separate word.
    case $prev in
        --format)
            mapfile -t COMPREPLY < <(compgen -W 'mtree xxhsum' -- "$cur")
            return 0
            ;;
        -o | --output)
            _xsync_files
            return 0
            ;;
        -j | --jobs)
            COMPREPLY=()
            return 0
            ;;
        -[!-]*)
            # A cluster of short options: the first j or o in it takes
            # the rest of the cluster, or the next word when it is last.
            w=${prev#-}
            for ((i = 0; i < ${#w}; i++)); do
                case ${w:i:1} in
                    j | o)
                        if ((i == ${#w} - 1)); then
                            if [[ ${w:i:1} == o ]]; then
                                _xsync_files
                            else
                                COMPREPLY=()
                            fi
                            return 0
                        fi
                        break
                        ;;
                esac
            done
            ;;
    esac

    # Count the operands before the current word; the first one, or "--",
    # ends the options.
    local nargs=0 ddash=false skip=false
    for ((i = 2; i < cword; i++)); do
        w=${words[i]}
        if $skip; then
            skip=false
            continue
        fi
        if $ddash || ((nargs > 0)); then
            ((nargs++))
            continue
        fi
        case $w in
            --)
                ddash=true
                ;;
            =)
                # "--opt" "=" "value" split by readline: skip the value.
                skip=true
                ;;
            --format | --output | --jobs)
                # The value follows, unless readline split off "=".
                [[ ${words[i + 1]-} != = ]] && skip=true
                ;;
            -?*)
                # A short cluster ending in j or o takes the next word.
                [[ $w != --* && $w =~ ^-[^jo]*[jo]$ ]] && skip=true
                ;;
            *)
                ((nargs++))
                ;;
        esac
    done

    if ! $ddash && ((nargs == 0)) && [[ $cur == -* ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$(_xsync_opts "$cmd")" -- "$cur")
        if [[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == *= ]]; then
            compopt -o nospace 2>/dev/null
        fi
        return 0
    fi

    case $cmd:$nargs in
        manifest:0 | snapshot:0 | snapshot:1 | list:0 | prune:0)
            _xsync_files -d
            ;;
        diff:0 | diff:1)
            _xsync_files
            ;;
        verify:0 | export:0)
            _xsync_files
            ;;
        verify:1)
            _xsync_files -d
            ;;
        *)
            COMPREPLY=()
            ;;
    esac
    return 0
}

complete -F _xsync xsync

# ex: filetype=sh
