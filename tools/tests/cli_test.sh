#!/usr/bin/env bash
# Command-line tests of digit-cnn, one case per ctest entry (see tools/CMakeLists.txt):
#   cli_test.sh CASE DIGIT_CNN MAKE_SYNTHETIC_DATA WORKDIR
# The "data" case writes synthetic IDX data and images into WORKDIR; "train" trains a model on it
# that the later cases use. No MNIST download is needed.
set -u

case_name=$1
cli=$2
make_data=$3
work=$4
data=$work/data
model=$work/model/synthetic.dcnn
train_args=(--train-images "$data/train-images.idx" --train-labels "$data/train-labels.idx"
            --test-images "$data/test-images.idx" --test-labels "$data/test-labels.idx")

fail() {
    echo "FAIL [$case_name]: $*" >&2
    echo "--- stdout ---" >&2
    echo "${out:-}" >&2
    echo "--- stderr ---" >&2
    echo "${err:-}" >&2
    exit 1
}

# run ARGS...: runs digit-cnn, leaving its stdout in $out, stderr in $err and exit status in $status.
run() {
    local errfile
    errfile=$(mktemp)
    out=$("$cli" "$@" 2>"$errfile")
    status=$?
    err=$(cat "$errfile")
    rm -f "$errfile"
    echo "\$ digit-cnn $* -> $status"
}

expect_status() { [ "$status" -eq "$1" ] || fail "expected exit status $1, got $status"; }
expect_out() { grep -qF -- "$1" <<<"$out" || fail "stdout lacks '$1'"; }
expect_err() { grep -qF -- "$1" <<<"$err" || fail "stderr lacks '$1'"; }
# A user error: one clean message, status 1, never a crash or an uncaught exception.
expect_user_error() {
    expect_status 1
    expect_err "digit-cnn: error: "
    if grep -qE "terminate called|Aborted|Segmentation" <<<"$err"; then fail "crashed"; fi
    [ -n "${1:-}" ] && expect_err "$1"
    return 0
}
expect_file() { [ -s "$1" ] || fail "missing or empty file $1"; }

case "$case_name" in
data)
    rm -rf "$work"
    mkdir -p "$data" || exit 1
    "$make_data" "$data" || fail "make-synthetic-data failed"
    for f in train-images.idx train-labels.idx test-images.idx test-labels.idx digit0.png digit1.pgm blank.png; do
        expect_file "$data/$f"
    done
    ;;

help)
    run --help
    expect_status 0
    expect_out "Subcommands:"
    for sub in train evaluate predict summary samples export; do
        run "$sub" --help
        expect_status 0
        expect_out "Usage: digit-cnn $sub"
    done
    run --version
    expect_status 0
    expect_out "digit-cnn 0.1.0"
    ;;

summary)
    run summary
    expect_status 0
    expect_out "Total params: 411,626"
    expect_out "Trainable params: 411,626"
    expect_out "Non-trainable params: 0"
    grep -qE "conv1 \(Conv2D\) +\(None, 28, 28, 32\) +544$" <<<"$out" || fail "conv1 row"
    grep -qE "conv2 \(Conv2D\) +\(None, 14, 14, 64\) +8,256$" <<<"$out" || fail "conv2 row"
    grep -qE "dense1 \(Dense\) +\(None, 128\) +401,536$" <<<"$out" || fail "dense1 row"
    grep -qE "dense2 \(Dense\) +\(None, 10\) +1,290$" <<<"$out" || fail "dense2 row"
    run summary --spec "input 28x28x1 | flatten | dense 10"
    expect_status 0
    expect_out "Total params: 7,850"
    run summary --spec "conv 3 k99"
    expect_user_error "conv 3 k99"
    ;;

bad_options)
    run
    expect_user_error
    run frobnicate
    expect_user_error "unknown command 'frobnicate'"
    run train --epochs 0 -o "$work/x.dcnn"
    expect_user_error "--epochs"
    run train --optimizer rmsprop -o "$work/x.dcnn"
    expect_user_error "rmsprop"
    run train --epochs 1
    expect_user_error "--output"
    run evaluate
    expect_user_error "--weights is required"
    run predict --weights "$work/none.dcnn"
    expect_user_error
    run train --train-images "$work/missing-images.idx" -o "$work/x.dcnn"
    expect_user_error "does not exist"
    run evaluate --weights "$work/missing.dcnn"
    expect_user_error "does not exist"
    # Labels that do not match the images.
    run train --train-images "$data/train-images.idx" --train-labels "$data/test-labels.idx" -o "$work/x.dcnn"
    expect_user_error
    [ ! -e "$work/x.dcnn" ] || fail "a failed run left a weights file"
    ;;

train)
    rm -rf "$work/model"
    run train "${train_args[@]}" --epochs 2 --seed 3 --threads 2 -o "$model"
    expect_status 0
    expect_out "Epoch 1/2"
    expect_out "Epoch 2/2"
    expect_out "val_accuracy"
    expect_out "Test: loss"
    for f in "$model" "${model%.dcnn}.json" "${model%.dcnn}.history.json" "${model%.dcnn}.history.csv" \
             "${model%.dcnn}.history.svg"; do
        expect_file "$f"
    done
    [ "$(wc -l <"${model%.dcnn}.history.csv")" -eq 3 ] || fail "history.csv should have a header and 2 epochs"
    head -1 "${model%.dcnn}.history.csv" | grep -qx "epoch,loss,accuracy,val_loss,val_accuracy,seconds,images_per_second" ||
        fail "history.csv header"
    grep -q '"val_loss"' "${model%.dcnn}.history.json" || fail "history.json lacks val_loss"
    grep -q "^<svg" "${model%.dcnn}.history.svg" && grep -q "</svg>" "${model%.dcnn}.history.svg" || fail "svg"
    grep -q ">Accuracy<" "${model%.dcnn}.history.svg" || fail "svg lacks the accuracy panel"
    manifest="${model%.dcnn}.json"
    for key in '"spec"' '"parameters": 411626' '"preprocessing": "mnist"' '"test_loss"' \
               '"epochs_run": 2' '"best_epoch"' '"stopped_early"' '"training_seconds"' '"images_per_second"' \
               '"threads": 2' '"seed": 3' '"command"' '"date"' '"layers"'; do
        grep -qF -- "$key" "$manifest" || fail "manifest lacks $key"
    done
    grep -qE '"test_accuracy": (0\.[0-9]+|1\.0)' "$manifest" || fail "manifest lacks a test accuracy"
    # The weights file carries the manifest as its metadata.
    run summary --weights "$model"
    expect_status 0
    expect_out "preprocessing: mnist"
    expect_out "Test accuracy:"
    ;;

evaluate)
    run evaluate --weights "$model" --images "$data/test-images.idx" --labels "$data/test-labels.idx"
    expect_status 0
    expect_out "Accuracy:"
    expect_out "Confusion matrix"
    expect_out "true\\pred"
    run evaluate --weights "$model" --images "$data/test-images.idx" --labels "$data/test-labels.idx" --json
    expect_status 0
    accuracy=$(grep -oE '^\{"accuracy":[0-9.eE+-]+' <<<"$out" | cut -d: -f2)
    [ -n "$accuracy" ] || fail "no accuracy in the JSON"
    # Three classes: chance is 1/3.
    awk -v a="$accuracy" 'BEGIN { exit !(a > 0.6 && a <= 1) }' || fail "accuracy $accuracy is not above chance"
    expect_out '"confusion":[['
    # A folder of labelled images through the drawn-digit preprocessing.
    mkdir -p "$work/folder"
    cp "$data/digit0.png" "$work/folder/0_ring.png"
    cp "$data/digit1.pgm" "$work/folder/1_stroke.pgm"
    cp "$data/blank.png" "$work/folder/1_blank.png"
    run evaluate --weights "$model" --folder "$work/folder"
    expect_status 0
    expect_out "(2 images)"
    expect_err "skipped 1_blank.png"
    ;;

predict_image)
    run predict --weights "$model" "$data/digit0.png" --show
    expect_status 0
    expect_out "dark ink on light paper"
    expect_out "Prediction: 0"
    expect_out "@@"
    run predict --weights "$model" "$data/digit1.pgm"
    expect_status 0
    expect_out "light ink on dark background"
    expect_out "Prediction: 1"
    run predict --weights "$model" "$data/digit0.png" --json
    expect_status 0
    expect_out '"prediction": 0'
    run predict --weights "$model" "$data/train-labels.idx"
    expect_user_error "cannot decode image"
    ;;

predict_empty)
    run predict --weights "$model" "$data/blank.png"
    expect_status 1
    expect_out "no digit found (empty image)"
    expect_err "digit-cnn: error: no digit found (empty image)"
    ;;

predict_idx)
    run predict --weights "$model" --idx "$data/test-images.idx" --count 4 --json
    expect_status 0
    expect_out '{"probabilities": ['
    expect_out '"predictions": ['
    rows=$(grep -cE '^  \[([-0-9.e]+, ){9}[-0-9.e]+\],?$' <<<"$out")
    [ "$rows" -eq 4 ] || fail "expected 4 rows of 10 probabilities, got $rows"
    run predict --weights "$model" --idx "$data/train-labels.idx"
    expect_user_error
    ;;

corrupt_weights)
    head -c 1000 "$model" >"$work/truncated.dcnn"
    run evaluate --weights "$work/truncated.dcnn" --images "$data/test-images.idx" --labels "$data/test-labels.idx"
    expect_user_error "truncated"
    printf 'not a weights file' >"$work/garbage.dcnn"
    run predict --weights "$work/garbage.dcnn" "$data/digit0.png"
    expect_user_error "magic"
    cp "$model" "$work/flipped.dcnn"
    printf '\x55' | dd of="$work/flipped.dcnn" bs=1 seek=40000 conv=notrunc status=none
    run summary --weights "$work/flipped.dcnn"
    expect_user_error "checksum"
    ;;

samples)
    run samples --images "$data/train-images.idx" --labels "$data/train-labels.idx" --rows 2 --cols 3 \
        -o "$work/samples.png"
    expect_status 0
    expect_file "$work/samples.png"
    [ "$(head -c 8 "$work/samples.png" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] || fail "not a PNG"
    run samples --images "$data/train-images.idx" --labels "$data/train-labels.idx" --start 100000 -o "$work/x.png"
    expect_user_error "--start"
    ;;

export)
    run export --weights "$model"
    expect_status 0
    expect_out '"spec":"input 28x28x1 | conv 32 k4 same'
    expect_out '"name":"conv1.kernel"'
    expect_out '"preprocessing":"mnist"'
    ;;

*)
    echo "unknown test case '$case_name'" >&2
    exit 2
    ;;
esac
echo "PASS [$case_name]"
