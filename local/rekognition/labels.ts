import type { DetectLabelsResponse, Label } from '@aws-sdk/client-rekognition';

/** One object found by the detector, its box in ratios of the (EXIF-oriented) image, like Rekognition's. */
export interface Detection {
  /** COCO-80 class name as the model reports it: 'person', 'cat', 'cell phone', ... */
  readonly className: string;
  /** The detector's own score, 0-1 (a CenterNet heatmap peak, not a probability). */
  readonly score: number;
  readonly box: {
    readonly left: number;
    readonly top: number;
    readonly width: number;
    readonly height: number;
  };
}

export interface LabelOptions {
  /** Rekognition's MaxLabels: keep the n labels of highest confidence (parents count). @default no limit */
  readonly maxLabels?: number;
  /** Rekognition's MinConfidence, 0-100. @default 55 (the service's default) */
  readonly minConfidence?: number;
}

export const DEFAULT_MIN_CONFIDENCE = 55;
export const LABEL_MODEL_VERSION = '3.0';

/**
 * CenterNet scores are heatmap peaks: clear objects score 0.35-0.8, and on the shared fixtures every
 * false positive (giraffes in a landscape, an umbrella on a leaf) stays at or under 0.3. Rekognition
 * reports clear objects at 90+ and filters at 55 by default. This monotone piecewise-linear map puts
 * score 0.3 at confidence 55, so the service's default threshold keeps the same meaning here.
 */
const CALIBRATION: ReadonlyArray<readonly [score: number, confidence: number]> = [
  [0, 0],
  [0.15, 20],
  [0.3, 55],
  [0.45, 80],
  [0.6, 90],
  [0.8, 97],
  [1, 99.9],
];

/** The detector's minimum score worth reporting: confidence 20, well under any sensible MinConfidence. */
export const MIN_DETECTOR_SCORE = 0.15;

export function calibrateConfidence(score: number): number {
  const s = Math.min(1, Math.max(0, score));
  for (let i = 1; i < CALIBRATION.length; i++) {
    const [s1, c1] = CALIBRATION[i];
    if (s <= s1) {
      const [s0, c0] = CALIBRATION[i - 1];
      return c0 + ((s - s0) / (s1 - s0)) * (c1 - c0);
    }
  }
  return CALIBRATION[CALIBRATION.length - 1][1];
}

interface TaxonomyEntry {
  /** Direct parents, nearest first; the response lists all ancestors, as Rekognition does. */
  readonly parents: readonly string[];
  readonly category: string;
}

const ANIMALS = 'Animals and Pets';
const VEHICLES = 'Vehicles and Automotive';
const FOOD = 'Food and Beverage';
const FURNITURE = 'Furniture and Furnishings';
const TECH = 'Technology and Computing';
const SPORTS = 'Sports';
const APPAREL = 'Apparel and Accessories';
const KITCHEN = 'Kitchen and Dining';
const OBJECTS = 'Everyday Objects';
const HOME = 'Home and Indoors';
const PLANTS = 'Plants and Flowers';

/** COCO-80 class → Rekognition label name (Rekognition's capitalisation and, where it differs, its word). */
export const COCO_LABEL_NAMES: Readonly<Record<string, string>> = {
  person: 'Person',
  bicycle: 'Bicycle',
  car: 'Car',
  motorcycle: 'Motorcycle',
  airplane: 'Airplane',
  bus: 'Bus',
  train: 'Train',
  truck: 'Truck',
  boat: 'Boat',
  'traffic light': 'Traffic Light',
  'fire hydrant': 'Fire Hydrant',
  'stop sign': 'Stop Sign',
  'parking meter': 'Parking Meter',
  bench: 'Bench',
  bird: 'Bird',
  cat: 'Cat',
  dog: 'Dog',
  horse: 'Horse',
  sheep: 'Sheep',
  cow: 'Cow',
  elephant: 'Elephant',
  bear: 'Bear',
  zebra: 'Zebra',
  giraffe: 'Giraffe',
  backpack: 'Backpack',
  umbrella: 'Umbrella',
  handbag: 'Handbag',
  tie: 'Tie',
  suitcase: 'Suitcase',
  frisbee: 'Frisbee',
  skis: 'Ski',
  snowboard: 'Snowboard',
  'sports ball': 'Ball',
  kite: 'Kite',
  'baseball bat': 'Baseball Bat',
  'baseball glove': 'Baseball Glove',
  skateboard: 'Skateboard',
  surfboard: 'Surfboard',
  'tennis racket': 'Tennis Racket',
  bottle: 'Bottle',
  'wine glass': 'Wine Glass',
  cup: 'Cup',
  fork: 'Fork',
  knife: 'Knife',
  spoon: 'Spoon',
  bowl: 'Bowl',
  banana: 'Banana',
  apple: 'Apple',
  sandwich: 'Sandwich',
  orange: 'Orange',
  broccoli: 'Broccoli',
  carrot: 'Carrot',
  'hot dog': 'Hot Dog',
  pizza: 'Pizza',
  donut: 'Donut',
  cake: 'Cake',
  chair: 'Chair',
  couch: 'Couch',
  'potted plant': 'Potted Plant',
  bed: 'Bed',
  'dining table': 'Dining Table',
  toilet: 'Toilet',
  tv: 'TV',
  laptop: 'Laptop',
  mouse: 'Mouse',
  remote: 'Remote Control',
  keyboard: 'Keyboard',
  'cell phone': 'Mobile Phone',
  microwave: 'Microwave',
  oven: 'Oven',
  toaster: 'Toaster',
  sink: 'Sink',
  refrigerator: 'Refrigerator',
  book: 'Book',
  clock: 'Clock',
  vase: 'Vase',
  scissors: 'Scissors',
  'teddy bear': 'Teddy Bear',
  'hair drier': 'Hair Dryer',
  toothbrush: 'Toothbrush',
};

const entry = (category: string, ...parents: string[]): TaxonomyEntry => ({ parents, category });

/** Every label this stand-in can emit: the 80 detectable ones and the parents they imply. */
const TAXONOMY: Readonly<Record<string, TaxonomyEntry>> = {
  // Detectable (COCO-80).
  Person: entry('Person Description'),
  Bicycle: entry(VEHICLES, 'Vehicle'),
  Car: entry(VEHICLES, 'Vehicle'),
  Motorcycle: entry(VEHICLES, 'Vehicle'),
  Airplane: entry(VEHICLES, 'Aircraft'),
  Bus: entry(VEHICLES, 'Vehicle'),
  Train: entry(VEHICLES, 'Vehicle'),
  Truck: entry(VEHICLES, 'Vehicle'),
  Boat: entry(VEHICLES, 'Vehicle'),
  'Traffic Light': entry(OBJECTS, 'Light'),
  'Fire Hydrant': entry(OBJECTS, 'Hydrant'),
  'Stop Sign': entry(OBJECTS, 'Road Sign'),
  'Parking Meter': entry(OBJECTS),
  Bench: entry(FURNITURE, 'Furniture'),
  Bird: entry(ANIMALS, 'Animal'),
  Cat: entry(ANIMALS, 'Pet', 'Mammal'),
  Dog: entry(ANIMALS, 'Canine', 'Pet'),
  Horse: entry(ANIMALS, 'Mammal'),
  Sheep: entry(ANIMALS, 'Livestock'),
  Cow: entry(ANIMALS, 'Cattle'),
  Elephant: entry(ANIMALS, 'Wildlife', 'Mammal'),
  Bear: entry(ANIMALS, 'Wildlife', 'Mammal'),
  Zebra: entry(ANIMALS, 'Wildlife', 'Mammal'),
  Giraffe: entry(ANIMALS, 'Wildlife', 'Mammal'),
  Backpack: entry(APPAREL, 'Bag'),
  Umbrella: entry(APPAREL, 'Accessories'),
  Handbag: entry(APPAREL, 'Bag'),
  Tie: entry(APPAREL, 'Accessories', 'Formal Wear'),
  Suitcase: entry(APPAREL, 'Luggage'),
  Frisbee: entry(SPORTS, 'Toy'),
  Ski: entry(SPORTS, 'Sports Equipment'),
  Snowboard: entry(SPORTS, 'Sports Equipment'),
  Ball: entry(SPORTS, 'Sports Equipment'),
  Kite: entry(SPORTS, 'Toy'),
  'Baseball Bat': entry(SPORTS, 'Sports Equipment'),
  'Baseball Glove': entry(SPORTS, 'Sports Equipment'),
  Skateboard: entry(SPORTS, 'Sports Equipment'),
  Surfboard: entry(SPORTS, 'Sports Equipment'),
  'Tennis Racket': entry(SPORTS, 'Racket'),
  Bottle: entry(KITCHEN),
  'Wine Glass': entry(KITCHEN, 'Glass'),
  Cup: entry(KITCHEN, 'Tableware'),
  Fork: entry(KITCHEN, 'Cutlery'),
  Knife: entry(KITCHEN, 'Cutlery'),
  Spoon: entry(KITCHEN, 'Cutlery'),
  Bowl: entry(KITCHEN, 'Tableware'),
  Banana: entry(FOOD, 'Fruit'),
  Apple: entry(FOOD, 'Fruit'),
  Sandwich: entry(FOOD, 'Food'),
  Orange: entry(FOOD, 'Citrus Fruit'),
  Broccoli: entry(FOOD, 'Vegetable'),
  Carrot: entry(FOOD, 'Vegetable'),
  'Hot Dog': entry(FOOD, 'Food'),
  Pizza: entry(FOOD, 'Food'),
  Donut: entry(FOOD, 'Sweets'),
  Cake: entry(FOOD, 'Dessert'),
  Chair: entry(FURNITURE, 'Furniture'),
  Couch: entry(FURNITURE, 'Furniture'),
  'Potted Plant': entry(PLANTS, 'Plant'),
  Bed: entry(FURNITURE, 'Furniture'),
  'Dining Table': entry(FURNITURE, 'Table'),
  Toilet: entry(HOME, 'Bathroom'),
  TV: entry(TECH, 'Screen'),
  Laptop: entry(TECH, 'Computer'),
  Mouse: entry(TECH, 'Computer Hardware'),
  'Remote Control': entry(TECH, 'Electronics'),
  Keyboard: entry(TECH, 'Computer Hardware'),
  'Mobile Phone': entry(TECH, 'Phone'),
  Microwave: entry(HOME, 'Appliance'),
  Oven: entry(HOME, 'Appliance'),
  Toaster: entry(HOME, 'Appliance'),
  Sink: entry(HOME, 'Indoors'),
  Refrigerator: entry(HOME, 'Appliance'),
  Book: entry(OBJECTS, 'Publication'),
  Clock: entry(OBJECTS),
  Vase: entry(HOME, 'Pottery'),
  Scissors: entry(OBJECTS, 'Tool'),
  'Teddy Bear': entry(OBJECTS, 'Toy'),
  'Hair Dryer': entry('Beauty and Personal Care', 'Appliance'),
  Toothbrush: entry('Beauty and Personal Care', 'Tool'),
  // Parents only.
  Transportation: entry(VEHICLES),
  Vehicle: entry(VEHICLES, 'Transportation'),
  Aircraft: entry(VEHICLES, 'Vehicle'),
  Animal: entry(ANIMALS),
  Mammal: entry(ANIMALS, 'Animal'),
  Pet: entry(ANIMALS, 'Animal'),
  Canine: entry(ANIMALS, 'Mammal'),
  Livestock: entry(ANIMALS, 'Mammal'),
  Cattle: entry(ANIMALS, 'Livestock'),
  Wildlife: entry(ANIMALS, 'Animal'),
  Food: entry(FOOD),
  Plant: entry(PLANTS),
  Fruit: entry(FOOD, 'Food', 'Plant'),
  'Citrus Fruit': entry(FOOD, 'Fruit'),
  Vegetable: entry(FOOD, 'Food', 'Plant'),
  Dessert: entry(FOOD, 'Food'),
  Sweets: entry(FOOD, 'Food'),
  Furniture: entry(FURNITURE),
  Table: entry(FURNITURE, 'Furniture'),
  Electronics: entry(TECH),
  Computer: entry(TECH, 'Electronics'),
  Hardware: entry(TECH),
  'Computer Hardware': entry(TECH, 'Hardware', 'Electronics'),
  Screen: entry(TECH, 'Electronics'),
  Phone: entry(TECH, 'Electronics'),
  Appliance: entry(HOME),
  Indoors: entry(HOME),
  Bathroom: entry(HOME, 'Indoors'),
  Tableware: entry(KITCHEN),
  Cutlery: entry(KITCHEN),
  Glass: entry(KITCHEN),
  Accessories: entry(APPAREL),
  Bag: entry(APPAREL, 'Accessories'),
  Luggage: entry(APPAREL, 'Bag'),
  'Formal Wear': entry(APPAREL, 'Clothing'),
  Clothing: entry(APPAREL),
  'Sports Equipment': entry(SPORTS),
  Racket: entry(SPORTS, 'Sports Equipment'),
  Toy: entry(OBJECTS),
  Light: entry(OBJECTS),
  Hydrant: entry(OBJECTS),
  Sign: entry(OBJECTS, 'Symbol'),
  Symbol: entry(OBJECTS),
  'Road Sign': entry(OBJECTS, 'Sign'),
  Publication: entry(OBJECTS),
  Pottery: entry(HOME),
  Tool: entry(OBJECTS),
};

/** A COCO class name in Rekognition's words; unknown names are title-cased rather than dropped. */
export function rekognitionLabelName(className: string): string {
  return COCO_LABEL_NAMES[className] ?? className.replace(/\b\w/g, (c) => c.toUpperCase());
}

/** All ancestors of a label, nearest first (breadth-first), each once. */
export function ancestorsOf(name: string): string[] {
  const seen = new Set<string>();
  const queue = [...(TAXONOMY[name]?.parents ?? [])];
  while (queue.length > 0) {
    const next = queue.shift()!;
    if (seen.has(next)) continue;
    seen.add(next);
    queue.push(...(TAXONOMY[next]?.parents ?? []));
  }
  return [...seen];
}

function categoriesOf(name: string): Label['Categories'] {
  const category = TAXONOMY[name]?.category;
  return category ? [{ Name: category }] : [];
}

/**
 * Detections → DetectLabels labels: one label per class, its confidence the best of its instances;
 * every ancestor also as a label of its own (confidence of its best child, no instances), as
 * Rekognition does; MinConfidence applied to labels and instances, sorted by confidence, then cut to
 * MaxLabels. At equal confidence a label comes before its parents.
 */
export function toRekognitionLabels(detections: readonly Detection[], options: LabelOptions = {}): Label[] {
  const minConfidence = options.minConfidence ?? DEFAULT_MIN_CONFIDENCE;
  const byName = new Map<string, Label & { Confidence: number }>();
  const ranked = detections
    .map((d) => ({ ...d, confidence: calibrateConfidence(d.score) }))
    .filter((d) => d.confidence >= minConfidence)
    .sort((a, b) => b.confidence - a.confidence);

  for (const d of ranked) {
    const name = rekognitionLabelName(d.className);
    const instance = {
      BoundingBox: { Width: d.box.width, Height: d.box.height, Left: d.box.left, Top: d.box.top },
      Confidence: d.confidence,
    };
    const existing = byName.get(name);
    if (existing) {
      existing.Instances = [...(existing.Instances ?? []), instance];
      continue;
    }
    const ancestors = ancestorsOf(name);
    byName.set(name, {
      Name: name,
      Confidence: d.confidence,
      Instances: [instance],
      Parents: ancestors.map((Name) => ({ Name })),
      Aliases: [],
      Categories: categoriesOf(name),
    });
    for (const parent of ancestors) {
      // Detections arrive best first, so the first child to name a parent sets its confidence.
      if (byName.has(parent)) continue;
      byName.set(parent, {
        Name: parent,
        Confidence: d.confidence,
        Instances: [],
        Parents: ancestorsOf(parent).map((Name) => ({ Name })),
        Aliases: [],
        Categories: categoriesOf(parent),
      });
    }
  }

  // Array.prototype.sort is stable: insertion order (child, then its ancestors) breaks ties.
  const labels = [...byName.values()].sort((a, b) => b.Confidence - a.Confidence);
  return options.maxLabels === undefined ? labels : labels.slice(0, options.maxLabels);
}

export function toDetectLabelsResponse(
  detections: readonly Detection[],
  options: LabelOptions = {},
): DetectLabelsResponse {
  return { Labels: toRekognitionLabels(detections, options), LabelModelVersion: LABEL_MODEL_VERSION };
}
