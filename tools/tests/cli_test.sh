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
    for f in train-images.idx train-labels.idx test-images.idx test-labels.idx digit0.png digit1.pgm blank.png \
             photo7.png; do
        expect_file "$data/$f"
    done
    ;;

help)
    run --help
    expect_status 0
    expect_out "Subcommands:"
    for sub in train evaluate predict summary samples export import hershey; do
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

train_augment)
    # Augmentation, a cosine schedule with warmup, label smoothing and a batch-normalised model.
    spec="input 28x28x1 | conv 4 k3 same | batchnorm 0.9 | relu | maxpool 2 | conv 8 k3 same | batchnorm 0.9 | relu | gap | dense 10"
    aug=$work/augment/aug.dcnn
    rm -rf "$work/augment"
    run train "${train_args[@]}" --spec "$spec" --epochs 2 --augment --rotate 10 --elastic 20,4 \
        --lr-schedule cosine --warmup 0.5 --lr-min 1e-5 --label-smoothing 0.1 -o "$aug"
    expect_status 0
    expect_out "Learning rate: cosine to x0.01 over 2 epochs, warmup 0.5 epochs"
    expect_out "Augmentation: rotation 10, scale 0.1, shear 0.25, shift 2.5, elastic alpha 20 sigma 4"
    for key in '"augmentation": "rotation 10,' '"lr_schedule": "cosine' '"label_smoothing": 0.1'; do
        grep -qF -- "$key" "${aug%.dcnn}.json" || fail "manifest lacks $key"
    done
    run summary --weights "$aug"
    expect_status 0
    expect_out "batchnorm1 (BatchNormalization)"
    expect_out "gap1 (GlobalAveragePooling2D) (None, 8)"
    expect_out "Non-trainable params: 24"
    # A distortion flag alone turns augmentation on; bad values get clear errors.
    run train "${train_args[@]}" --spec "$spec" --epochs 1 --shift 1 -o "$aug"
    expect_status 0
    expect_out "Augmentation: rotation 12, scale 0.1, shear 0.25, shift 1,"
    run train "${train_args[@]}" --elastic 34 -o "$aug"
    expect_user_error "--elastic expects ALPHA,SIGMA"
    run train "${train_args[@]}" --lr-schedule linear -o "$aug"
    expect_user_error "--lr-schedule"
    run train "${train_args[@]}" --lr-schedule cosine --lr-min 0.5 -o "$aug"
    expect_user_error "--lr-min"
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

predict_photo)
    # A dark 7 on unevenly lit, noisy paper with four specks: the photo cleanup finds the digit.
    run predict --weights "$model" "$data/photo7.png" --show
    expect_status 0
    expect_out "dark ink on light paper, 4 specks dropped"
    expect_out "Prediction: 7"
    run predict --weights "$model" "$data/photo7.png" --cleanup plain --json
    expect_status 0
    expect_out '"prediction": '
    run predict --weights "$model" "$data/photo7.png" --cleanup scan
    expect_user_error "--cleanup"
    mkdir -p "$work/photos"
    cp "$data/photo7.png" "$work/photos/7_photo.png"
    cp "$data/digit0.png" "$work/photos/0_ring.png"
    run evaluate --weights "$model" --folder "$work/photos" --json
    expect_status 0
    expect_out '"accuracy":1.0'
    expect_out '"preprocessing":"mnist"'
    ;;

onnx)
    # export -> import gives back the same weights file; evaluate reads the .onnx directly.
    run export --format onnx --weights "$model" --output "$work/model.onnx"
    expect_status 0
    expect_err "ONNX opset 13"
    [ "$(head -c 1 "$work/model.onnx" | od -An -tx1 | tr -d ' \n')" = "08" ] || fail "not an ONNX file"
    run import "$work/model.onnx" --output "$work/back.dcnn"
    expect_status 0
    expect_err "Imported $work/model.onnx: input 28x28x1 | conv 32 k4 same"
    cmp "$model" "$work/back.dcnn" || fail "export -> import changed the weights file"
    run evaluate --weights "$work/model.onnx" --images "$data/test-images.idx" --labels "$data/test-labels.idx"
    expect_status 0
    expect_out "Accuracy:"
    run export --format onnx --weights "$model"
    expect_user_error "give it --output FILE.onnx"
    # A refused import writes nothing, not even a temporary file.
    head -c 3000 "$work/model.onnx" >"$work/cut.onnx"
    run import "$work/cut.onnx" --output "$work/cut.dcnn"
    expect_user_error "ONNX file is corrupt: model at byte"
    [ ! -e "$work/cut.dcnn" ] || fail "a refused import wrote a file"
    ! ls "$work" | grep -q "cut.dcnn." || fail "a refused import left a temporary file"
    run import "$model" --output "$work/cut.dcnn"
    expect_user_error "ONNX file is corrupt"
    ;;

train_refused)
    # A model that cannot learn the labels is refused before the first batch: the message says
    # what to end the spec with, the exit status is 1 and nothing is written.
    dir=$work/refused
    rm -rf "$dir"
    mkdir -p "$dir"
    nothing_written() {
        if grep -qF "Epoch 1/" <<<"$out$err"; then fail "training started"; fi
        [ -z "$(ls -A "$dir")" ] || fail "a refused run wrote files: $(ls -A "$dir")"
    }
    run train "${train_args[@]}" --spec "conv 32 k4" --epochs 1 -o "$dir/x.dcnn"
    expect_user_error "the model's output is 25x25x32, but training needs one score per class: a vector of 10"
    expect_err "end the spec with '... | flatten | dense 10'"
    nothing_written
    run train "${train_args[@]}" --spec "input 28x28x1 | flatten | dense 5" --epochs 1 -o "$dir/x.dcnn"
    expect_user_error "the model has 5 outputs but the data has 10 classes"
    expect_err "'... | dense 10'"
    nothing_written
    # An eleventh output ("not a digit") needs the negatives to learn it.
    run train "${train_args[@]}" --spec "input 28x28x1 | flatten | dense 11" --epochs 1 -o "$dir/x.dcnn"
    expect_user_error "the model has 11 outputs but the data has 10 classes"
    expect_err "is learnt with --negatives"
    nothing_written
    ;;

train_unwritable)
    # An output that cannot be written is refused before training, not at the first checkpoint.
    dir=$work/unwritable
    rm -rf "$dir"
    mkdir -p "$dir"
    small=(--spec "input 28x28x1 | flatten | dense 10" --epochs 1)
    run train "${train_args[@]}" "${small[@]}" -o "$dir"
    expect_user_error "cannot write '$dir': it is a directory"
    if grep -qF "Epoch 1/" <<<"$out$err"; then fail "training started"; fi
    # /proc takes no new files, even from root (a chmod'ed folder would not stop root).
    run train "${train_args[@]}" "${small[@]}" -o /proc/digit-cnn-test.dcnn
    expect_user_error "cannot write '/proc/digit-cnn-test.dcnn': creating a file in '/proc/' failed"
    if grep -qF "Epoch 1/" <<<"$out$err"; then fail "training started"; fi
    # A folder that cannot be made (its parent is a file).
    run train "${train_args[@]}" "${small[@]}" -o "$data/train-labels.idx/x.dcnn"
    expect_user_error "cannot create directory '$data/train-labels.idx'"
    [ -z "$(ls -A "$dir")" ] || fail "a refused run wrote files: $(ls -A "$dir")"
    ;;

deskew)
    # --deskew trains on deskewed digits and says so in the weights; evaluate and predict follow.
    dmodel=$work/deskew/deskewed.dcnn
    rm -rf "$work/deskew"
    run train "${train_args[@]}" --epochs 1 --seed 3 --deskew -o "$dmodel"
    expect_status 0
    grep -qF '"preprocessing": "mnist+deskew"' "${dmodel%.dcnn}.json" || fail "manifest lacks mnist+deskew"
    run summary --weights "$dmodel"
    expect_status 0
    expect_out "preprocessing: mnist+deskew"
    run evaluate --weights "$dmodel" --images "$data/test-images.idx" --labels "$data/test-labels.idx"
    expect_status 0
    expect_out "Input:    mnist+deskew"
    run predict --weights "$dmodel" "$data/digit1.pgm"
    expect_status 0
    expect_out "Prediction: "
    run predict --weights "$dmodel" --idx "$data/test-images.idx" --count 2 --json
    expect_status 0
    expect_out '"predictions": ['
    ;;

hershey)
    fonts=/usr/share/hershey-fonts
    if [ ! -f "$fonts/futural.jhf" ]; then
        case "${CI:-}" in
        ''|0|false) echo "SKIP [hershey]: $fonts not installed (Debian package hershey-fonts-data)"; exit 0 ;;
        *) fail "$fonts not installed (Debian package hershey-fonts-data), and a CI run (CI=$CI) must not skip" ;;
        esac
    fi
    run hershey -o "$work/hershey-a" --count 30 --seed 4
    expect_status 0
    expect_out "Wrote 30 digits from 6 fonts"
    images=hershey-images-idx3-ubyte labels=hershey-labels-idx1-ubyte
    [ "$(stat -c %s "$work/hershey-a/$images")" -eq $((16 + 30 * 784)) ] || fail "image file size"
    [ "$(stat -c %s "$work/hershey-a/$labels")" -eq $((8 + 30)) ] || fail "label file size"
    expect_file "$work/hershey-a/hershey.json"
    # The same seed gives the same set; another seed another one.
    run hershey -o "$work/hershey-b" --count 30 --seed 4
    cmp -s "$work/hershey-a/$images" "$work/hershey-b/$images" || fail "same seed, different images"
    run hershey -o "$work/hershey-c" --count 30 --seed 5 --fonts futural,scripts,rowmans
    expect_out "from 2 fonts"
    expect_err "font 'rowmans' has the same digits as 'futural'"
    cmp -s "$work/hershey-a/$images" "$work/hershey-c/$images" && fail "another seed gave the same images"
    run samples --images "$work/hershey-a/$images" --labels "$work/hershey-a/$labels" -o "$work/hershey.png"
    expect_status 0
    run hershey -o "$work/hershey-d" --fonts nosuchfont
    expect_user_error "hershey-fonts-data"
    run hershey -o "$work/hershey-d" --count 0
    expect_user_error "--count"
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

distill)
    # Distillation from a trained model: reported, recorded in the manifest, locked on resume, and
    # a changed teacher file is refused when the run continues.
    dir=$work/distill
    rm -rf "$dir"
    mkdir -p "$dir"
    cp "$model" "$dir/teacher.dcnn"
    small=(--spec "input 28x28x1 | conv 4 k3 | relu | maxpool 2 | flatten | dense 10" --epochs 2 --seed 4)
    run train "${train_args[@]}" "${small[@]}" --teacher "$dir/teacher.dcnn" --distill 0.5 -o "$dir/student.dcnn"
    expect_status 0
    expect_out "Distillation: weight 0.5 from the mean of $dir/teacher.dcnn"
    grep -qF '"distillation"' "$dir/student.json" || fail "manifest lacks the distillation"
    run train "${train_args[@]}" "${small[@]}" --teacher "$dir/teacher.dcnn" -o "$dir/x.dcnn"
    expect_user_error "--teacher needs --distill W"
    run train "${train_args[@]}" "${small[@]}" --distill 0.5 -o "$dir/x.dcnn"
    expect_user_error "a distillation weight needs at least one teacher model"
    run train "${train_args[@]}" "${small[@]}" --teacher "$dir/teacher.dcnn" --distill 0.5 --deskew -o "$dir/x.dcnn"
    expect_user_error "reads its input as 'mnist' but this run as 'mnist+deskew'"
    run train "${train_args[@]}" "${small[@]}" --teacher "$dir/teacher.dcnn" --distill 0.5 --max-batches 3 \
        -o "$dir/split.dcnn"
    expect_status 0
    run train --resume "$dir/split.resume" --distill 0.7
    expect_user_error "--distill 0.7 differs from the resumed run's 0.5"
    cp "$dir/student.dcnn" "$dir/teacher.dcnn"  # same path, other weights
    run train --resume "$dir/split.resume"
    expect_user_error "distillation"
    ;;

average)
    # Weight averaging: reported, recorded in the manifest, locked on resume, and a run resumed
    # mid-average ends with exactly the weights of an uninterrupted one; bad combinations refused.
    dir=$work/average
    rm -rf "$dir"
    small=(--spec "input 28x28x1 | conv 4 k3 | batchnorm | relu | maxpool 2 | flatten | dense 10" --epochs 3
           --seed 4 --no-restore-best --average-from 2)
    run train "${train_args[@]}" "${small[@]}" --threads 2 -o "$dir/full.dcnn"
    expect_status 0
    expect_out "Averaged the weights of epochs 2-3 (batch norm statistics recomputed): val_loss"
    expect_out "Saved $dir/full.dcnn (mean of epochs 2-3)"
    grep -qF '"averaged_epochs": [' "$dir/full.json" || fail "manifest lacks the averaged epochs"
    grep -qF '"weight_averaging"' "$dir/full.json" || fail "manifest lacks the averaging setting"
    run train "${train_args[@]}" "${small[@]}" --threads 1 --max-batches 12 -o "$dir/split.dcnn"
    expect_status 0
    run train --resume "$dir/split.resume" --average-from 3
    expect_user_error "--average-from 3 differs from the resumed run's 2"
    run train --resume "$dir/split.resume"
    expect_status 0
    run export --weights "$dir/full.dcnn"
    full=$(grep -o '"tensors":.*' <<<"$out")
    run export --weights "$dir/split.dcnn"
    split=$(grep -o '"tensors":.*' <<<"$out")
    [ -n "$full" ] && [ "$full" = "$split" ] || fail "the resumed averaged run's weights differ from the uninterrupted run's"
    run train "${train_args[@]}" --epochs 3 --average-from 2 -o "$dir/x.dcnn"
    expect_user_error "turn restore-best off (--no-restore-best)"
    run train "${train_args[@]}" --epochs 3 --no-restore-best --average-from 5 -o "$dir/x.dcnn"
    expect_user_error "weight averaging from epoch 5 needs at least that many epochs"
    ;;

init)
    # A run started from a trained model's weights: its spec by default, recorded in the manifest;
    # a network that does not match is refused before training.
    dir=$work/init
    rm -rf "$dir"
    run train "${train_args[@]}" --init "$model" --epochs 1 -o "$dir/warm.dcnn"
    expect_status 0
    expect_out "Starting from $model: all "
    grep -qF "\"init\": \"$model\"" "$dir/warm.json" || fail "manifest lacks the --init model"
    run summary --weights "$dir/warm.dcnn"
    warm_spec=$(grep -m1 "input 28x28x1" <<<"$out")
    run summary --weights "$model"
    [ "$warm_spec" = "$(grep -m1 "input 28x28x1" <<<"$out")" ] || fail "--init without --spec changed the spec"
    run train "${train_args[@]}" --init "$model" --spec "input 28x28x1 | flatten | dense 10" --epochs 1 -o "$dir/x.dcnn"
    expect_user_error "only the number of units of the last dense layer may differ"
    run train "${train_args[@]}" --init "$dir/none.dcnn" --epochs 1 -o "$dir/x.dcnn"
    expect_user_error "none.dcnn"
    ;;

resume)
    # A run stopped twice (--max-batches) and resumed in new processes with another thread count
    # ends with exactly the weights of an uninterrupted run. 540 training images: 9 batches/epoch.
    dir=$work/resume
    rm -rf "$dir"
    small=(--spec "input 28x28x1 | conv 4 k3 | relu | maxpool 2 | flatten | dropout 0.2 | dense 10" --epochs 3
           --seed 4)
    run train "${train_args[@]}" "${small[@]}" --threads 2 -o "$dir/full.dcnn"
    expect_status 0
    [ ! -e "$dir/full.resume" ] || fail "a completed run left its resume checkpoint"
    run train "${train_args[@]}" "${small[@]}" --threads 1 -o "$dir/split.dcnn" --max-batches 7
    expect_status 0
    expect_out "Stopped after 7 batches (--max-batches); continue with: digit-cnn train --resume $dir/split.resume"
    expect_file "$dir/split.resume"
    # Options that shape the run cannot change on resume; threads, epochs and paths can.
    run train --resume "$dir/split.resume" --lr 0.01
    expect_user_error "--lr 0.01 differs from the resumed run's 0.001"
    run train --resume "$dir/split.resume" --max-batches 9 --threads 2
    expect_status 0
    expect_out "Resuming $dir/split.resume at epoch 1, batch 8"
    expect_out "Stopped after 9 batches"
    run train --resume "$dir/split.resume"
    expect_status 0
    expect_out "Resuming $dir/split.resume at epoch 2, batch 8"
    expect_out "Epoch 3/3"
    [ ! -e "$dir/split.resume" ] || fail "the completed run left its resume checkpoint"
    run export --weights "$dir/full.dcnn"
    full=$(grep -o '"tensors":.*' <<<"$out")
    run export --weights "$dir/split.dcnn"
    split=$(grep -o '"tensors":.*' <<<"$out")
    [ -n "$full" ] && [ "$full" = "$split" ] || fail "the resumed run's weights differ from the uninterrupted run's"
    grep -qF '"resumed_from"' "$dir/split.json" || fail "the manifest does not say the run was resumed"
    ;;

robustness)
    sets=hershey,fonts,pen-thin,pen-thick,thin,thick,slant,corner,stray,conventions
    args=(--weights "$model" --train-images "$data/train-images.idx" --train-labels "$data/train-labels.idx"
          --test-images "$data/test-images.idx" --test-labels "$data/test-labels.idx" --count 30 --sets "$sets")
    run robustness "${args[@]}" --write "$work/rob-a"
    expect_status 0
    expect_out "validation halves (for choosing models)"
    for s in mnist ${sets//,/ }; do grep -qE "^$s +[0-9]+ " <<<"$out" || fail "no row for set $s"; done
    grep -qE "^hershey +30 " <<<"$out" || fail "hershey set should hold 30 digits"
    expect_out "slashed-0"
    # Made from seeds: the same command writes the same sets; the test halves are other digits.
    run robustness "${args[@]}" --write "$work/rob-b"
    for f in "$work"/rob-a/*; do cmp -s "$f" "$work/rob-b/$(basename "$f")" || fail "$(basename "$f") differs between runs"; done
    run robustness "${args[@]}" --split test --write "$work/rob-c"
    expect_out "test halves (for reporting only)"
    cmp -s "$work/rob-a/fonts-val-images-idx3-ubyte" "$work/rob-c/fonts-test-images-idx3-ubyte" && fail "halves equal"
    cmp -s "$work/rob-a/pen-thin-val-images-idx3-ubyte" "$work/rob-c/pen-thin-test-images-idx3-ubyte" &&
        fail "MNIST-derived halves equal"
    run robustness "${args[@]}" --json
    expect_status 0
    python3 -c 'import json,sys; j=json.loads(sys.stdin.read()); assert len(j["sets"]) == 11, j["sets"]; assert all(0 <= s["results"][0]["accuracy"] <= 1 for s in j["sets"])' <<<"$out" ||
        fail "bad JSON"
    # An ensemble of a model with itself reads every digit as the model does.
    run robustness "${args[@]}" --weights "$model" --ensemble --json
    expect_status 0
    python3 -c 'import json,sys; j=json.loads(sys.stdin.read()); assert len(j["columns"]) == 3 and j["columns"][2].startswith("ensemble"); assert all(len(s["results"]) == 3 and s["results"][2]["accuracy"] == s["results"][0]["accuracy"] == s["results"][1]["accuracy"] for s in j["sets"])' <<<"$out" ||
        fail "the ensemble of a model with itself reads differently from the model"
    run robustness "${args[@]}" --ensemble
    expect_user_error "--ensemble needs at least two --weights"
    run robustness --weights "$model" --sets nonsense --train-images "$data/train-images.idx" \
        --train-labels "$data/train-labels.idx" --count 30
    expect_user_error "unknown robustness set 'nonsense'"
    ;;
reject)
    args=(--train-images "$data/train-images.idx" --train-labels "$data/train-labels.idx"
          --test-images "$data/test-images.idx" --test-labels "$data/test-labels.idx" --count 20)
    dir=$work/reject
    rm -rf "$dir"
    run reject "${args[@]}" --weights "$model" --curve "$dir/curve.svg"
    expect_status 0
    expect_out "rule: temperature 1 threshold 0"
    for s in mnist hershey conventions letters-hershey letters-fonts symbols scribbles shapes pairs halves; do
        grep -qE "^$s +[0-9]+ " <<<"$out" || fail "no row for set $s"
    done
    expect_out "Expected calibration error on MNIST (15 bins)"
    grep -q "<svg" "$dir/curve.svg" || fail "the curve is not SVG"
    run reject "${args[@]}" --weights "$model" --calibrate -o "$dir/calibrated.dcnn"
    expect_status 0
    rule=$(grep -o "Calibrated on the validation halves: .*" <<<"$out" | sed 's/.*halves: //')
    [[ "$rule" =~ ^temperature\ [0-9.e+-]+\ threshold\ [0-9.e+-]+$ ]] || fail "no calibrated rule"
    run reject "${args[@]}" --weights "$dir/calibrated.dcnn" --json
    python3 -c 'import json,sys; j=json.loads(sys.stdin.read()); assert j["rule"] == sys.argv[1], j["rule"]; assert len(j["sets"]) == 19' "$rule" <<<"$out" ||
        fail "the calibrated weights do not carry the rule"
    run predict --weights "$dir/calibrated.dcnn" "$data/digit0.png" --json
    expect_status 0
    expect_out '"is_digit": '
    expect_out '"best_guesses": ['
    run reject "${args[@]}" --weights "$model" --calibrate --split test -o "$dir/x.dcnn"
    expect_user_error "--calibrate chooses on the validation halves: use --split val"
    # The negatives, made from seeds: the same files twice; training's part differs from validation's.
    run reject "${args[@]}" --split train --write "$dir/a"
    expect_status 0
    run reject "${args[@]}" --split train --write "$dir/b"
    for f in "$dir"/a/*; do cmp -s "$f" "$dir/b/$(basename "$f")" || fail "$(basename "$f") differs between runs"; done
    run reject "${args[@]}" --split val --write "$dir/a"
    cmp -s "$dir/a/letters-fonts-train-images-idx3-ubyte" "$dir/a/letters-fonts-val-images-idx3-ubyte" && fail "parts equal"
    # An eleven-output model learns "not a digit" from them; a ten-output one is refused at once.
    small=(--epochs 1 --seed 3 --negatives "$dir/a" -o "$dir/nd.dcnn")
    run train "${train_args[@]}" "${small[@]}" --spec "input 28x28x1 | conv 4 k3 | relu | maxpool 2 | flatten | dense 11"
    expect_status 0
    count() { echo $(( $(stat -c %s "$1") - 8 )); }  # labels in an IDX label file
    n=$(count "$data/train-labels.idx")
    train_n=$(( n * 9 / 10 + $(count "$dir/a/negatives-train-labels-idx1-ubyte") ))
    val_n=$(( n - n * 9 / 10 + $(count "$dir/a/negatives-val-labels-idx1-ubyte") ))
    expect_out "Data: $(printf "%'d" "$train_n") training images, $(printf "%'d" "$val_n") for validation"
    # Calibrating an eleven-output model also chooses the gate on "not a digit" (0.50-0.99) and
    # draws the trade-off over it; the calibrated file decides by that rule.
    run reject "${args[@]}" --weights "$dir/nd.dcnn" --calibrate -o "$dir/nd-cal.dcnn" --curve "$dir/nd.svg" --margin 0
    expect_status 0
    rule=$(grep -o "Calibrated on the validation halves: .*" <<<"$out" | sed 's/.*halves: //')
    [[ "$rule" =~ ^temperature\ [0-9.e+-]+\ threshold\ [0-9.e+-]+\ not-digit\ 0\.(5[0-9]*|[6-9][0-9]*)$ ]] ||
        fail "no not-digit gate in the calibrated rule: '$rule'"
    grep -q 'gate on the probability of' "$dir/nd.svg" || fail "the curve is not drawn over the gate"
    run reject "${args[@]}" --weights "$dir/nd-cal.dcnn" --json
    python3 -c 'import json,sys; j=json.loads(sys.stdin.read()); assert j["rule"] == sys.argv[1], j["rule"]' "$rule" <<<"$out" ||
        fail "the calibrated eleven-output weights do not carry the rule"
    run train "${train_args[@]}" "${small[@]}" --spec "input 28x28x1 | conv 4 k3 | relu | maxpool 2 | flatten | dense 10"
    expect_user_error "--negatives needs a model with 11 outputs"
    # --gate: one model reads the digits, the calibrated eleven-output one vetoes them. Gated by
    # itself, the eleven-output model decides as it does alone; a gate only ever adds rejections.
    run reject "${args[@]}" --weights "$dir/nd-cal.dcnn" --json
    alone=$out
    run reject "${args[@]}" --weights "$dir/nd-cal.dcnn" --gate "$dir/nd-cal.dcnn" --json
    expect_status 0
    python3 -c 'import json,sys; a=json.loads(sys.argv[1]); g=json.loads(sys.stdin.read()); assert g["gate"]["rule"] == a["rule"]; assert a["sets"] == g["sets"], (a["sets"], g["sets"])' "$alone" <<<"$out" ||
        fail "the eleven-output model gated by itself decides differently from alone"
    run reject "${args[@]}" --weights "$model" --json
    alone=$out
    run reject "${args[@]}" --weights "$model" --gate "$dir/nd-cal.dcnn" --json
    expect_status 0
    python3 -c '
import json, sys
a = {s["set"]: s for s in json.loads(sys.argv[1])["sets"]}
g = json.loads(sys.stdin.read())
assert g["gate"]["weights"].endswith("nd-cal.dcnn"), g["gate"]
more = 0
for s in g["sets"]:
    k = "rejected" if s["kind"] == "not digits" else "accepted_and_right"
    if k == "rejected":
        assert s[k] >= a[s["set"]][k], s
        more += s[k] > a[s["set"]][k]
    else:
        assert s[k] <= a[s["set"]][k], s
assert more > 0, "the gate rejected nothing more"' "$alone" <<<"$out" || fail "the gate did not only add rejections"
    run predict --weights "$model" --gate "$dir/nd-cal.dcnn" "$data/digit0.png" --json
    expect_status 0
    expect_out '"not_digit_p": '
    run predict --weights "$model" --gate "$dir/nd-cal.dcnn" "$data/digit0.png"
    expect_status 0
    expect_out "not a digit (gate $dir/nd-cal.dcnn): "
    run predict --weights "$model" --gate "$model" "$data/digit0.png"
    expect_user_error "cannot be a \"not a digit\" gate: it has 10 outputs"
    run predict --weights "$model" --gate "$dir/nd.dcnn" "$data/digit0.png"
    expect_user_error "its reject rule has no not-digit gate"
    run reject "${args[@]}" --weights "$dir/nd.dcnn" --gate "$dir/nd-cal.dcnn" --calibrate -o "$dir/x.dcnn"
    expect_user_error "calibrate the gate model on its own"
    # An eleven-output model adapts with "not a digit" among its replay (the negatives), so that it
    # keeps rejecting them; its rule comes along.
    run finetune --weights "$dir/nd-cal.dcnn" --images "$data/test-images.idx" --labels "$data/test-labels.idx" \
        --replay-images "$dir/a/negatives-train-images-idx3-ubyte" --replay-labels "$dir/a/negatives-train-labels-idx1-ubyte" \
        --test-images "$data/test-images.idx" --test-labels "$data/test-labels.idx" --steps 4 --output "$dir/nd-adapted.dcnn"
    expect_status 0
    grep -qF "\"reject\": \"$rule\"" "$dir/nd-adapted.json" || fail "the adapted gate lost its rule"
    # Or with MNIST as replay and the negatives as a second pool at a fixed share of each batch.
    negs=(--negative-images "$dir/a/negatives-train-images-idx3-ubyte" --negative-labels "$dir/a/negatives-train-labels-idx1-ubyte")
    pool=(--weights "$dir/nd-cal.dcnn" --images "$data/test-images.idx" --labels "$data/test-labels.idx"
          --replay-images "$data/train-images.idx" --replay-labels "$data/train-labels.idx" --steps 4)
    run finetune "${pool[@]}" "${negs[@]}" --negatives-per-batch 8 --output "$dir/nd-pool.dcnn"
    expect_status 0
    expect_out "Negatives: $(printf "%'d" "$(count "$dir/a/negatives-train-labels-idx1-ubyte")") ($dir/a/negatives-train-images-idx3-ubyte), 8 in every batch"
    grep -qF '"settings": "steps 4, batch 32 (4 examples, 8 negatives)' "$dir/nd-pool.json" || fail "the lineage lacks the negatives"
    # --as-gate: core's settings for a gate (8 negatives per batch, no blend), as the page adapts one.
    run finetune "${pool[@]}" "${negs[@]}" --as-gate --output "$dir/nd-asgate.dcnn"
    expect_status 0
    grep -qF '"settings": "steps 4, batch 32 (4 examples, 8 negatives)' "$dir/nd-asgate.json" || fail "--as-gate lacks the negatives"
    grep -qF ', blend ' "$dir/nd-asgate.json" && fail "--as-gate should not blend toward the base"
    run finetune "${pool[@]}" "${negs[@]}" --as-gate --blend 0.5 --output "$dir/x.dcnn"
    expect_user_error "--blend excludes --as-gate"
    run finetune "${pool[@]}" --as-gate --output "$dir/x.dcnn"
    expect_user_error "--as-gate requires --negative-images"
    run finetune "${pool[@]}" "${negs[@]}" --output "$dir/x.dcnn"
    expect_user_error "asks for none per batch"
    run finetune "${pool[@]}" --negatives-per-batch 8 --output "$dir/x.dcnn"
    expect_user_error "asks for 8 negatives per batch but was given none"
    run finetune "${pool[@]}" "${negs[@]}" --negatives-per-batch 30 --output "$dir/x.dcnn"
    expect_user_error "negatives per batch must be 0..28"
    run finetune "${pool[@]/$dir\/nd-cal.dcnn/$model}" "${negs[@]}" --negatives-per-batch 8 --output "$dir/x.dcnn"
    expect_user_error "is out of range for 10 classes"
    [ ! -e "$dir/x.dcnn" ] || fail "a refused run wrote a model"
    ;;
finetune)
    rm -rf "$work/finetune"
    before=$(sha256sum <"$model")
    tune_args=(--weights "$model" --images "$data/test-images.idx" --labels "$data/test-labels.idx"
               --replay-images "$data/train-images.idx" --replay-labels "$data/train-labels.idx"
               --test-images "$data/test-images.idx" --test-labels "$data/test-labels.idx" --steps 6 --threads 2)
    run finetune "${tune_args[@]}" --output "$work/finetune/adapted.dcnn"
    expect_status 0
    expect_out "Read right before:"
    expect_out "Test accuracy after:"
    expect_out "Wrote $work/finetune/adapted.dcnn"
    expect_file "$work/finetune/adapted.dcnn"
    expect_file "$work/finetune/adapted.json"
    [ "$before" = "$(sha256sum <"$model")" ] || fail "the base model changed"
    grep -qF '"lineage"' "$work/finetune/adapted.json" || fail "no lineage in the metadata"
    grep -qF "\"base\": \"$model\"" "$work/finetune/adapted.json" || fail "the lineage does not name the base"
    grep -qF '"settings": "steps 6, batch 32' "$work/finetune/adapted.json" || fail "the lineage lacks the settings"
    # The adapted model is a model like any other, and adapting it again extends its lineage.
    run evaluate --weights "$work/finetune/adapted.dcnn" --images "$data/test-images.idx" --labels "$data/test-labels.idx"
    expect_status 0
    run finetune "${tune_args[@]/$model/$work/finetune/adapted.dcnn}" --output "$work/finetune/again.dcnn" --json
    expect_status 0
    expect_out '"examples_right_after":'
    [ "$(grep -c '"base":' "$work/finetune/again.json")" -eq 2 ] || fail "the second adaptation should list two bases"
    # The same seed gives the same weights.
    run finetune "${tune_args[@]}" --output "$work/finetune/adapted2.dcnn"
    eval_json() { "$cli" evaluate --weights "$1" --images "$data/test-images.idx" --labels "$data/test-labels.idx" --json; }
    [ "$(eval_json "$work/finetune/adapted.dcnn")" = "$(eval_json "$work/finetune/adapted2.dcnn" | sed 's/adapted2/adapted/')" ] ||
        fail "two runs with the same seed differ"
    [ "$(eval_json "$work/finetune/adapted.dcnn")" != "$(eval_json "$model" | sed "s|$model|$work/finetune/adapted.dcnn|")" ] ||
        fail "fine-tuning changed nothing"
    # Mistakes: overwriting the base, missing files, options out of range.
    run finetune "${tune_args[@]}" --output "$model"
    expect_user_error "write the adapted model elsewhere"
    run finetune --weights "$model" --images "$data/nope.idx" --labels "$data/test-labels.idx" --output "$work/finetune/x.dcnn"
    expect_user_error "nope.idx"
    run finetune "${tune_args[@]}" --examples-per-batch 64 --output "$work/finetune/x.dcnn"
    expect_user_error "examples per batch"
    [ ! -e "$work/finetune/x.dcnn" ] || fail "a refused run wrote a model"
    run finetune-bench --weights "$model" --half train
    expect_user_error "--half must be val or test"
    run finetune-bench --weights "$model" --gate "$model" --half val
    expect_user_error "cannot be a \"not a digit\" gate: it has 10 outputs"
    run finetune-bench --weights "$model" --gate "$model" --half val --negative-images "$data/test-images.idx"
    expect_user_error "--negative-images requires --negative-labels"
    ;;

hostile_files)
    # Paths that are not data files, and damaged files: one clear message each, no hang, no crash.
    run evaluate --weights "$work" --images "$data/test-images.idx" --labels "$data/test-labels.idx"
    expect_user_error "it is a directory, not a file"
    run predict --weights /dev/zero "$data/digit0.png"
    expect_user_error "'/dev/zero': not a regular file (a device, pipe or socket)"
    rm -f "$work/fifo.idx"
    mkfifo "$work/fifo.idx" || fail "mkfifo"
    errfile=$(mktemp)
    out=$(timeout 60 "$cli" train --train-images "$work/fifo.idx" --train-labels "$data/train-labels.idx" \
          -o "$work/x.dcnn" 2>"$errfile")
    status=$?
    err=$(cat "$errfile")
    rm -f "$errfile" "$work/fifo.idx"
    expect_user_error "not a regular file"
    gzip -c "$data/train-images.idx" | head -c 3000 >"$work/cut.idx.gz"
    run train --train-images "$work/cut.idx.gz" --train-labels "$data/train-labels.idx" -o "$work/x.dcnn"
    expect_user_error "corrupt or truncated gzip data (unexpected end of data)"
    { gzip -c "$data/train-images.idx"; printf 'junk'; } >"$work/junk.idx.gz"
    run train --train-images "$work/junk.idx.gz" --train-labels "$data/train-labels.idx" -o "$work/x.dcnn"
    expect_user_error "4 unexpected bytes after the gzip data"
    # Resume files and weights files are not interchangeable, and damage is detected.
    run train --resume "$model"
    expect_user_error "not a digit-cnn training checkpoint"
    run train --resume "$work/none.resume"
    expect_user_error "does not exist"
    run train --spec "input 28x28x1 | conv 2 k3 | flatten | dense 10" --epochs 1 --max-batches 1 \
        "${train_args[@]}" -o "$work/hostile/r.dcnn"
    expect_status 0
    expect_file "$work/hostile/r.resume"
    run predict --weights "$work/hostile/r.resume" "$data/digit0.png"
    expect_user_error "bad magic"
    printf '\x55' | dd of="$work/hostile/r.resume" bs=1 seek=300 conv=notrunc status=none
    run train --resume "$work/hostile/r.resume"
    expect_user_error "checksum mismatch"
    [ ! -e "$work/x.dcnn" ] || fail "a failed run left a weights file"
    ;;

*)
    echo "unknown test case '$case_name'" >&2
    exit 2
    ;;
esac
echo "PASS [$case_name]"
