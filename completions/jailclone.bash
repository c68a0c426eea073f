# bash completion for jailclone(1)                         -*- shell-script -*-
#
# Works with the bash-completion package when it is loaded, and falls back
# to plain compgen when its helpers (_init_completion, _filedir) are absent.
#
# A command comes first, then that command's options, then its operands:
# options are offered only before the first operand or "--".

_jailclone_commands='create verify update du destroy list'

_jailclone_modes='auto snapshot reflink hardlink copy'

# _jailclone_files [-d]: complete file names (directories only with -d) for
# $cur.
_jailclone_files()
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

# _jailclone_opts COMMAND: the options that COMMAND takes.
_jailclone_opts()
{
    case $1 in
        create) echo '-m --mode= --store= --shared= --private= --hostname=
            --set= --copy-in= --progress --no-progress -j --jobs= -v --verbose
            --wait --help' ;;
        verify) echo '-0 --null --json --fast -j --jobs= --wait --help' ;;
        update) echo '--template= -0 --null -v --verbose --json --store= -j
            --jobs= --wait --help' ;;
        du) echo '--json -h --human-readable --help' ;;
        destroy) echo '-v --verbose --wait --help' ;;
        list) echo '-0 --null --json --help' ;;
    esac
}

# _jailclone_value OPTION: complete $cur as the argument of OPTION.
_jailclone_value()
{
    case $1 in
        -m | --mode)
            mapfile -t COMPREPLY < <(compgen -W "$_jailclone_modes" -- "$cur")
            ;;
        --template)
            # A directory or an archive.
            _jailclone_files
            ;;
        --store | --shared | --private)
            _jailclone_files -d
            ;;
        --copy-in)
            # FILE:PATH: the FILE; nothing to offer for the PATH in the jail.
            if [[ $cur == *:* ]]; then
                COMPREPLY=()
            else
                _jailclone_files
            fi
            ;;
        *)
            # --jobs: a number; --hostname, --set: free text
            COMPREPLY=()
            ;;
    esac
}

_jailclone()
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

    # The command, or --help and --version.
    if ((cword <= 1)); then
        if [[ $cur == -* ]]; then
            mapfile -t COMPREPLY < <(compgen -W '--help --version' -- "$cur")
        else
            mapfile -t COMPREPLY < <(compgen -W "$_jailclone_commands" -- "$cur")
        fi
        return 0
    fi
    local cmd=${words[1]}
    case $cmd in
        create | verify | update | du | destroy | list) ;;
        *)
            COMPREPLY=()
            return 0
            ;;
    esac

    # Readline splits a word at ':' when ':' is in COMP_WORDBREAKS: after
    # the colon of --copy-in=FILE:PATH is the PATH in the jail, with
    # nothing to complete.
    local i=-1
    if [[ ${words[cword]-} == : ]]; then
        i=$((cword - 1))
    elif [[ ${words[cword - 1]} == : ]]; then
        i=$((cword - 2))
    fi
    if ((i >= 2)) && [[ ${words[i]} == --copy-in=* ||
        ${words[i - 1]} == --copy-in ||
        (${words[i - 1]} == = && ${words[i - 2]} == --copy-in) ]]; then
        COMPREPLY=()
        return 0
    fi

    # Count the operands before the current word; the first one, or "--",
    # ends the options.  opt is set when the current word is the argument
    # of the option before it.
    local nargs=0 ddash=false skip=false opt='' w
    for ((i = 2; i < cword; i++)); do
        w=${words[i]}
        opt=
        if $skip; then
            skip=false
            continue
        fi
        if [[ $w == : ]]; then
            # "FILE" ":" "PATH" split by readline: skip the PATH.
            skip=true
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
            -m | --mode | --template | --store | --shared | --private | \
                --hostname | --set | --copy-in | -j | --jobs)
                # The value follows, unless readline split off "=".
                if [[ ${words[i + 1]-} != = ]]; then
                    skip=true
                    opt=$w
                fi
                ;;
            -?*)
                # A short cluster: the first j or m in it takes the rest
                # of the cluster, or the next word when it is last.
                if [[ $w != --* && $w =~ ^-[^-jm]*([jm])$ ]]; then
                    skip=true
                    opt=-${BASH_REMATCH[1]}
                fi
                ;;
            *)
                ((nargs++))
                ;;
        esac
    done

    if $split; then
        # After "--opt=": an option's argument, unless the options are over.
        if $ddash || ((nargs > 0)); then
            COMPREPLY=()
            return 0
        fi
        _jailclone_value "$prev"
        # Readline replaces only the text after '=' when '=' is a word
        # break; otherwise the "--opt=" part has to be part of every reply.
        if [[ $COMP_WORDBREAKS != *=* ]]; then
            for i in "${!COMPREPLY[@]}"; do
                COMPREPLY[i]=$prev=${COMPREPLY[i]}
            done
        fi
        return 0
    fi

    # The argument of an option given as a separate word.
    if [[ $opt ]]; then
        _jailclone_value "$opt"
        return 0
    fi

    if ! $ddash && ((nargs == 0)) && [[ $cur == -* ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$(_jailclone_opts "$cmd")" -- "$cur")
        if [[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == *= ]]; then
            compopt -o nospace 2>/dev/null
        fi
        return 0
    fi

    case $cmd:$nargs in
        create:0)
            # The template: a directory or an archive.
            _jailclone_files
            ;;
        create:* | verify:* | update:* | du:* | destroy:* | list:0)
            _jailclone_files -d
            ;;
        *)
            COMPREPLY=()
            ;;
    esac
    return 0
}

complete -F _jailclone jailclone

# ex: filetype=sh
