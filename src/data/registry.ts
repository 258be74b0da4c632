/**
 * The datasets the project knows by name: where to download them, their checksums, what the files look like on
 * disk after extraction, their classes and sensor size. Pure data (no Node imports), so the browser can list them.
 *
 * URLs and checksums were checked against the loaders of tonic and spikingjelly (the same archives they verify).
 */
import type { SensorSize } from "../events/stream.js";

export type DatasetName = "dvs128-gesture" | "nmnist" | "ncaltech101" | "cifar10-dvs" | "shd" | "ssc";

/** One file to fetch. `md5` (hex) is checked after download; `extract` says how to unpack it. */
export interface Resource {
  /** file name under <root>/download/ */
  file: string;
  /** direct download URL (follows redirects) */
  url: string;
  /** a page a person can download it from by hand, when `url` is a mirror or may need a browser */
  page?: string;
  md5: string;
  /** approximate size in bytes, for the user's information */
  approxBytes?: number;
  extract: "zip" | "tar.gz" | "gz" | "none";
}

export interface DatasetSpec {
  name: DatasetName;
  title: string;
  citation: string;
  licence: string;
  resources: Resource[];
  /** what <root> holds after download + extraction (shown in messages and docs) */
  layout: string[];
  classes: string[];
  /** fixed sensor size; N-Caltech101 varies per recording (the largest is given, see `variableSensor`) */
  sensor: SensorSize;
  variableSensor?: boolean;
  /** split names and where they come from */
  splits: Record<string, string>;
}

const NMNIST_CLASSES = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

const GESTURE_CLASSES = [
  "hand_clapping",
  "right_hand_wave",
  "left_hand_wave",
  "right_arm_clockwise",
  "right_arm_counter_clockwise",
  "left_arm_clockwise",
  "left_arm_counter_clockwise",
  "arm_roll",
  "air_drums",
  "air_guitar",
  "other_gestures",
];

export const CIFAR10_CLASSES = [
  "airplane",
  "automobile",
  "bird",
  "cat",
  "deer",
  "dog",
  "frog",
  "horse",
  "ship",
  "truck",
];

// figshare file ids of the original per-class AEDAT 2.0 archives (Li et al. 2017) and their MD5s.
const CIFAR10_FIGSHARE: [string, string, string][] = [
  ["airplane", "7712788", "0afd5c4bf9ae06af762a77b180354fdd"],
  ["automobile", "7712791", "8438dfeba3bc970c94962d995b1b9bdd"],
  ["bird", "7712794", "a9c207c91c55b9dc2002dc21c684d785"],
  ["cat", "7712812", "52c63c677c2b15fa5146a8daf4d56687"],
  ["deer", "7712815", "b6bf21f6c04d21ba4e23fc3e36c8a4a3"],
  ["dog", "7712818", "f379ebdf6703d16e0a690782e62639c3"],
  ["frog", "7712842", "cad6ed91214b1c7388a5f6ee56d08803"],
  ["horse", "7712851", "e7cbbf77bec584ffbf913f00e682782a"],
  ["ship", "7712836", "41c7bd7d6b251be82557c6cce9a7d5c9"],
  ["truck", "7712839", "89f3922fd147d9aeff89e76a2b0b70a7"],
];

const ZENKE = "https://zenkelab.org/datasets/";
const SHD_CITATION =
  "Cramer, Stradmann, Schemmel, Zenke: The Heidelberg Spiking Data Sets for the Systematic Evaluation of " +
  "Spiking Neural Networks, IEEE TNNLS 2020";

export const DATASETS: Record<DatasetName, DatasetSpec> = {
  "dvs128-gesture": {
    name: "dvs128-gesture",
    title: "DVS128 Gesture (IBM)",
    citation: "Amir et al.: A Low Power, Fully Event-Based Gesture Recognition System, CVPR 2017",
    licence: "CC BY 4.0",
    resources: [
      {
        file: "DvsGesture.tar.gz",
        // The official copy is an IBM Box folder (needs a browser); this Dropbox mirror serves the same archive.
        url: "https://www.dropbox.com/s/cct5kyilhtsliup/DvsGesture.tar.gz?dl=1",
        page: "https://ibm.ent.box.com/s/3hiq58ww1pbbjrinh367ykfdf60xsfm8/folder/50167556794",
        md5: "8a5c71fb11e24e5ca5b11866ca6c00a1",
        approxBytes: 2_900_000_000,
        extract: "tar.gz",
      },
    ],
    layout: [
      "DvsGesture/userNN_<lighting>.aedat        AEDAT 3.1 recordings (29 users x 3-5 lightings)",
      "DvsGesture/userNN_<lighting>_labels.csv   class,startTime_usec,endTime_usec",
      "DvsGesture/trials_to_train.txt            recordings of users 01-23",
      "DvsGesture/trials_to_test.txt             recordings of users 24-29",
    ],
    classes: GESTURE_CLASSES,
    sensor: { width: 128, height: 128, polarities: 2 },
    splits: {
      train: "recordings listed in DvsGesture/trials_to_train.txt, cut into gestures by their labels CSV",
      test: "recordings listed in DvsGesture/trials_to_test.txt",
    },
  },
  nmnist: {
    name: "nmnist",
    title: "N-MNIST",
    citation: "Orchard et al.: Converting Static Image Datasets to Spiking Neuromorphic Datasets Using Saccades, 2015",
    licence: "see the dataset page",
    resources: [
      {
        file: "Train.zip",
        url: "https://data.mendeley.com/public-files/datasets/468j46mzdv/files/39c25547-014b-4137-a934-9d29fa53c7a0/file_downloaded",
        page: "https://www.garrickorchard.com/datasets/n-mnist",
        md5: "20959b8e626244a1b502305a9e6e2031",
        approxBytes: 1_011_000_000,
        extract: "zip",
      },
      {
        file: "Test.zip",
        url: "https://data.mendeley.com/public-files/datasets/468j46mzdv/files/05a4d654-7e03-4c15-bdfa-9bb2bcbea494/file_downloaded",
        page: "https://www.garrickorchard.com/datasets/n-mnist",
        md5: "69ca8762b2fe404d9b9bad1103e97832",
        approxBytes: 169_000_000,
        extract: "zip",
      },
    ],
    layout: ["Train/<digit>/<NNNNN>.bin   60 000 recordings, 40-bit ATIS", "Test/<digit>/<NNNNN>.bin    10 000"],
    classes: NMNIST_CLASSES,
    sensor: { width: 34, height: 34, polarities: 2 },
    splits: { train: "Train/ folder", test: "Test/ folder" },
  },
  ncaltech101: {
    name: "ncaltech101",
    title: "N-Caltech101",
    citation: "Orchard et al.: Converting Static Image Datasets to Spiking Neuromorphic Datasets Using Saccades, 2015",
    licence: "see the dataset page",
    resources: [
      {
        file: "Caltech101.zip",
        url: "https://data.mendeley.com/public-files/datasets/cy6cvx3ryv/files/36b5c52a-b49d-4853-addb-a836a8883e49/file_downloaded",
        page: "https://www.garrickorchard.com/datasets/n-caltech101",
        md5: "66201824eabb0239c7ab992480b50ba3",
        approxBytes: 1_300_000_000,
        extract: "zip",
      },
    ],
    layout: ["Caltech101/<class>/image_NNNN.bin   8 709 recordings, 40-bit ATIS, 101 classes + BACKGROUND_Google"],
    // The class list is read from the folder names (sorted); BACKGROUND_Google is left out, as in the papers' 101.
    classes: [],
    sensor: { width: 240, height: 180, polarities: 2 },
    variableSensor: true,
    splits: { train: "seeded 9:1 per class (written to splits/<seed>.json)", test: "the other tenth" },
  },
  "cifar10-dvs": {
    name: "cifar10-dvs",
    title: "CIFAR10-DVS",
    citation: "Li et al.: CIFAR10-DVS: An Event-Stream Dataset for Object Classification, Front. Neurosci. 2017",
    licence: "CC BY 4.0",
    resources: CIFAR10_FIGSHARE.map(([cls, id, md5]) => ({
      file: `${cls}.zip`,
      url: `https://ndownloader.figshare.com/files/${id}`,
      page: "https://figshare.com/articles/dataset/CIFAR10-DVS_New/4724671",
      md5,
      approxBytes: 700_000_000,
      extract: "zip" as const,
    })),
    layout: ["<class>/cifar10_<class>_<i>.aedat   1 000 AEDAT 2.0 (DVS128) recordings per class"],
    classes: CIFAR10_CLASSES,
    sensor: { width: 128, height: 128, polarities: 2 },
    splits: { train: "seeded 9:1 per class (written to splits/<seed>.json)", test: "the other tenth" },
  },
  shd: {
    name: "shd",
    title: "Spiking Heidelberg Digits (SHD)",
    citation: SHD_CITATION,
    licence: "CC BY 4.0",
    resources: [
      {
        file: "shd_train.h5.zip",
        url: `${ZENKE}shd_train.h5.zip`,
        md5: "f3252aeb598ac776c1b526422d90eecb",
        approxBytes: 130_000_000,
        extract: "zip",
      },
      {
        file: "shd_test.h5.zip",
        url: `${ZENKE}shd_test.h5.zip`,
        md5: "1503a5064faa34311c398fb0a1ed0a6f",
        approxBytes: 38_000_000,
        extract: "zip",
      },
    ],
    layout: ["shd_train.h5, shd_test.h5   spikes/times (s), spikes/units, labels, extra/keys"],
    classes: [
      ...["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"].map((w) => `en-${w}`),
      ...["null", "eins", "zwei", "drei", "vier", "fuenf", "sechs", "sieben", "acht", "neun"].map((w) => `de-${w}`),
    ],
    sensor: { width: 700, height: 1, polarities: 1 },
    splits: { train: "shd_train.h5", test: "shd_test.h5" },
  },
  ssc: {
    name: "ssc",
    title: "Spiking Speech Commands (SSC)",
    citation: SHD_CITATION,
    licence: "CC BY 4.0",
    resources: [
      {
        file: "ssc_train.h5.zip",
        url: `${ZENKE}ssc_train.h5.zip`,
        md5: "d102be95e7144fcc0553d1f45ba94170",
        approxBytes: 1_200_000_000,
        extract: "zip",
      },
      {
        file: "ssc_valid.h5.zip",
        url: `${ZENKE}ssc_valid.h5.zip`,
        md5: "b4eee3516a4a90dd0c71a6ac23a8ae43",
        approxBytes: 160_000_000,
        extract: "zip",
      },
      {
        file: "ssc_test.h5.zip",
        url: `${ZENKE}ssc_test.h5.zip`,
        md5: "a35ff1e9cffdd02a20eb850c17c37748",
        approxBytes: 330_000_000,
        extract: "zip",
      },
    ],
    layout: ["ssc_train.h5, ssc_valid.h5, ssc_test.h5"],
    // Class names come from the file's extra/keys; 35 Speech Commands words.
    classes: [],
    sensor: { width: 700, height: 1, polarities: 1 },
    splits: { train: "ssc_train.h5", valid: "ssc_valid.h5", test: "ssc_test.h5" },
  },
};

/** Accepted spellings of dataset names (case-insensitive; '_' and '-' interchangeable). */
const ALIASES: Record<string, DatasetName> = {
  "dvs128-gesture": "dvs128-gesture",
  "dvs-gesture": "dvs128-gesture",
  dvsgesture: "dvs128-gesture",
  gesture: "dvs128-gesture",
  nmnist: "nmnist",
  "n-mnist": "nmnist",
  ncaltech101: "ncaltech101",
  "n-caltech101": "ncaltech101",
  "cifar10-dvs": "cifar10-dvs",
  cifar10dvs: "cifar10-dvs",
  shd: "shd",
  ssc: "ssc",
};

export const DATASET_NAMES = Object.keys(DATASETS) as DatasetName[];

/** Resolves a user-typed name to a dataset, or throws a message listing the known names. */
export function datasetSpec(name: string): DatasetSpec {
  const key = ALIASES[name.toLowerCase().replace(/_/g, "-")];
  if (key === undefined) {
    throw new Error(`unknown dataset '${name}': expected one of ${DATASET_NAMES.join(", ")}`);
  }
  return DATASETS[key];
}
