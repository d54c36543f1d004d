/**
 * The curated part of the stand-in's label taxonomy: which WordNet concepts are labels in their own
 * right (with the name, category and aliases Rekognition uses), and where a model's class name is
 * not the word a person would use. build-taxonomy.ts combines this with WordNet 3.0's hypernyms:
 * a class's parents are the vocabulary nodes among its WordNet ancestors, nearest first, plus the
 * `also` parents written here (Pet, Outdoors ...), which WordNet does not hold.
 *
 * Categories are Rekognition's (DetectLabels `Categories`); a label takes the category of its
 * nearest ancestor that has one.
 */

export const CATEGORIES = {
  animals: 'Animals and Pets',
  apparel: 'Apparel and Accessories',
  beauty: 'Beauty and Personal Care',
  buildings: 'Buildings and Architecture',
  objects: 'Everyday Objects',
  food: 'Food and Beverage',
  furniture: 'Furniture and Furnishings',
  hobbies: 'Hobbies and Interests',
  home: 'Home and Indoors',
  kitchen: 'Kitchen and Dining',
  medical: 'Medical',
  music: 'Music',
  nature: 'Nature and Outdoors',
  person: 'Person Description',
  plants: 'Plants and Flowers',
  sports: 'Sports',
  tech: 'Technology and Computing',
  text: 'Text and Documents',
  tools: 'Tools and Machinery',
  toys: 'Toys and Gaming',
  travel: 'Travel and Adventure',
  vehicles: 'Vehicles and Automotive',
  weapons: 'Weapons and Military',
} as const;

export type Category = (typeof CATEGORIES)[keyof typeof CATEGORIES];

export interface VocabularyNode {
  /** WordNet 3.0 noun sense in NLTK's spelling, e.g. `church.n.02`; several senses may share a name. */
  readonly sense: string;
  /** The label, in Rekognition's Title Case; none when the concept only implies `also` parents. */
  readonly name?: string;
  readonly category?: Category;
  readonly aliases?: readonly string[];
  /** Parents that WordNet does not give (a cat is a pet; a mountain is outdoors). */
  readonly also?: readonly string[];
  /** Labels this concept's descendants must not inherit (a shop is a building, but its photos are indoors). */
  readonly not?: readonly string[];
}

const C = CATEGORIES;
const node = (
  sense: string,
  name: string | undefined,
  extra: Omit<VocabularyNode, 'sense' | 'name'> = {},
): VocabularyNode => ({ sense, name, ...extra });

/** A label with no WordNet concept of its own (Pet, Outdoors): its parents and category are given here. */
export interface ExtraLabel {
  readonly name: string;
  readonly category: Category;
  readonly parents: readonly string[];
}

export const EXTRA_LABELS: readonly ExtraLabel[] = [
  { name: 'Pet', category: CATEGORIES.animals, parents: ['Animal'] },
  { name: 'Wildlife', category: CATEGORIES.animals, parents: ['Animal'] },
  { name: 'Livestock', category: CATEGORIES.animals, parents: ['Animal'] },
  { name: 'Sea Life', category: CATEGORIES.animals, parents: ['Animal'] },
  { name: 'Blossom', category: CATEGORIES.plants, parents: ['Plant'] },
  { name: 'Outdoors', category: CATEGORIES.nature, parents: [] },
  { name: 'Indoors', category: CATEGORIES.home, parents: [] },
  { name: 'Architecture', category: CATEGORIES.buildings, parents: [] },
  { name: 'Accessories', category: CATEGORIES.apparel, parents: [] },
];

export const VOCABULARY: readonly VocabularyNode[] = [
  // Living things.
  node('person.n.01', 'Person', { category: C.person, aliases: ['Human'] }),
  node('animal.n.01', 'Animal', { category: C.animals }),
  node('mammal.n.01', 'Mammal'),
  node('bird.n.01', 'Bird'),
  node('fish.n.01', 'Fish', { also: ['Sea Life'] }),
  node('aquatic_mammal.n.01', undefined, { also: ['Sea Life'] }),
  node('reptile.n.01', 'Reptile'),
  node('amphibian.n.03', 'Amphibian'),
  node('invertebrate.n.01', 'Invertebrate'),
  node('insect.n.01', 'Insect'),
  node('spider.n.01', 'Spider'),
  node('crustacean.n.01', 'Crustacean', { also: ['Sea Life'] }),
  node('crab.n.01', 'Crab'),
  node('lobster.n.02', 'Lobster'),
  node('mollusk.n.01', 'Mollusk'),
  node('snail.n.01', 'Snail'),
  node('coelenterate.n.01', undefined, { also: ['Sea Life'] }),
  node('echinoderm.n.01', undefined, { also: ['Sea Life'] }),
  node('butterfly.n.01', 'Butterfly'),
  node('beetle.n.01', 'Beetle'),
  node('bee.n.01', 'Bee'),
  node('ant.n.01', 'Ant'),
  node('snake.n.01', 'Snake'),
  node('lizard.n.01', 'Lizard'),
  node('turtle.n.02', 'Turtle'),
  node('crocodilian_reptile.n.01', 'Crocodile'),
  node('dinosaur.n.01', 'Dinosaur'),
  node('frog.n.01', 'Frog'),
  node('salamander.n.01', 'Salamander'),
  node('shark.n.01', 'Shark'),
  node('ray.n.07', 'Ray'),
  node('parrot.n.01', 'Parrot'),
  node('bird_of_prey.n.01', 'Bird of Prey'),
  node('eagle.n.01', 'Eagle'),
  node('owl.n.01', 'Owl'),
  node('duck.n.01', 'Duck'),
  node('goose.n.01', 'Goose'),
  node('swan.n.01', 'Swan'),
  node('penguin.n.01', 'Penguin'),
  node('waterfowl.n.01', 'Waterfowl'),
  node('seabird.n.01', 'Seabird'),
  node('gallinaceous_bird.n.01', 'Poultry'),
  node('chicken.n.02', 'Chicken'),
  node('finch.n.01', 'Finch'),
  node('dog.n.01', 'Dog', { also: ['Pet'] }),
  node('canine.n.02', 'Canine'),
  node('wolf.n.01', 'Wolf', { also: ['Wildlife'] }),
  node('fox.n.01', 'Fox', { also: ['Wildlife'] }),
  node('domestic_cat.n.01', 'Cat', { also: ['Pet'] }),
  node('big_cat.n.01', 'Big Cat', { also: ['Wildlife'] }),
  node('primate.n.02', 'Primate'),
  node('monkey.n.01', 'Monkey', { also: ['Wildlife'] }),
  node('ape.n.01', 'Ape', { also: ['Wildlife'] }),
  node('bear.n.01', 'Bear', { also: ['Wildlife'] }),
  node('rodent.n.01', 'Rodent'),
  node('rabbit.n.01', 'Rabbit'),
  node('horse.n.01', 'Horse'),
  node('cattle.n.01', 'Cattle', { also: ['Livestock'] }),
  node('sheep.n.01', 'Sheep', { also: ['Livestock'] }),
  node('goat.n.01', 'Goat'),
  node('swine.n.01', 'Pig'),
  node('antelope.n.01', 'Antelope', { also: ['Wildlife'] }),
  node('deer.n.01', 'Deer', { also: ['Wildlife'] }),
  node('elephant.n.01', 'Elephant', { also: ['Wildlife'] }),
  node('whale.n.02', 'Whale'),
  node('seal.n.09', 'Seal'),
  node('marsupial.n.01', 'Marsupial', { also: ['Wildlife'] }),
  node('plant.n.02', 'Plant', { category: C.plants }),
  node('flower.n.01', 'Flower', { also: ['Blossom'] }),
  node('angiosperm.n.01', 'Plant'),
  node('tree.n.01', 'Tree'),
  node('fungus.n.01', 'Fungus'),
  node('mushroom.n.02', 'Mushroom'),
  node('vegetation.n.01', 'Vegetation'),
  node('grass.n.01', 'Grass'),
  node('leaf.n.01', 'Leaf'),

  // Food and drink.
  node('food.n.01', 'Food', { category: C.food }),
  node('food.n.02', 'Food', { category: C.food }),
  node('edible_fruit.n.01', 'Fruit', { category: C.food, also: ['Plant'] }),
  node('fruit.n.01', undefined, { also: ['Plant'] }),
  node('citrus.n.01', 'Citrus Fruit'),
  node('apple.n.01', 'Apple'),
  node('berry.n.01', 'Berry'),
  node('vegetable.n.01', 'Vegetable', { category: C.food, also: ['Plant'] }),
  node('produce.n.01', 'Produce'),
  node('dish.n.02', 'Meal', { aliases: ['Dish'] }),
  node('dessert.n.01', 'Dessert'),
  node('bread.n.01', 'Bread'),
  node('baked_goods.n.01', 'Baked Goods'),
  node('sandwich.n.01', 'Sandwich'),
  node('soup.n.01', 'Soup'),
  node('sauce.n.01', 'Sauce'),
  node('beverage.n.01', 'Beverage', { aliases: ['Drink'], category: C.food }),
  node('coffee.n.01', 'Coffee'),
  node('alcohol.n.01', 'Alcohol'),
  node('wine.n.01', 'Wine'),

  // Vehicles.
  node('vehicle.n.01', 'Vehicle', { category: C.vehicles, also: ['Transportation'] }),
  node('conveyance.n.03', 'Transportation', { category: C.vehicles }),
  node('car.n.01', 'Car'),
  node('truck.n.01', 'Truck'),
  node('bus.n.01', 'Bus'),
  node('bicycle.n.01', 'Bicycle'),
  node('motorcycle.n.01', 'Motorcycle'),
  node('vessel.n.02', 'Watercraft'),
  node('boat.n.01', 'Boat'),
  node('ship.n.01', 'Ship'),
  node('sailing_vessel.n.01', 'Sailboat'),
  node('aircraft.n.01', 'Aircraft'),
  node('airplane.n.01', 'Airplane'),
  node('train.n.01', 'Train'),
  node('locomotive.n.01', 'Locomotive'),
  node('streetcar.n.01', 'Tram'),
  node('spacecraft.n.01', 'Spaceship'),
  node('rocket.n.01', 'Rocket'),
  node('military_vehicle.n.01', 'Military Vehicle'),
  node('wheel.n.01', 'Wheel'),

  // Buildings, places and landscape.
  // ImageNet's buildings are photographed from outside (its shops and restaurants from inside).
  node('building.n.01', 'Building', { category: C.buildings, also: ['Architecture', 'Outdoors'] }),
  node('place_of_worship.n.01', 'Place of Worship'),
  node('church.n.02', 'Church'),
  node('tower.n.01', 'Tower', { category: C.buildings, also: ['Architecture', 'Outdoors'] }),
  node('housing.n.01', 'Housing', { category: C.buildings, also: ['Architecture'] }),
  node('house.n.01', 'House'),
  node('castle.n.02', 'Castle'),
  node('palace.n.01', 'Palace'),
  node('bridge.n.01', 'Bridge', { category: C.buildings, also: ['Architecture', 'Outdoors'] }),
  node('arch.n.04', 'Arch', { category: C.buildings, also: ['Architecture'] }),
  node('memorial.n.03', 'Monument', { category: C.buildings, also: ['Architecture', 'Outdoors'] }),
  node('fountain.n.01', 'Fountain', { category: C.buildings, also: ['Outdoors'] }),
  node('shop.n.01', 'Shop', { also: ['Indoors'], not: ['Outdoors'] }),
  node('restaurant.n.01', 'Restaurant', { also: ['Indoors'], not: ['Outdoors'] }),
  node('library.n.05', undefined, { also: ['Indoors'], not: ['Outdoors'] }),
  node('fence.n.01', 'Fence', { category: C.buildings, also: ['Outdoors'] }),
  node('road.n.01', 'Road', { category: C.travel, also: ['Outdoors'] }),
  node('street.n.01', 'Street'),
  // Things that stand outdoors by nature: a photo of one is a photo taken outside.
  ...[
    'park_bench.n.01',
    'birdhouse.n.01',
    'column.n.06',
    'sundial.n.01',
    'dam.n.01',
    'pier.n.01',
    'breakwater.n.01',
    'mailbox.n.01',
    'flagpole.n.02',
    'maypole.n.01',
    'swing.n.02',
    'lawn_mower.n.01',
    'manhole_cover.n.01',
    'patio.n.01',
    'traffic_light.n.01',
    'street_sign.n.01',
    'parking_meter.n.01',
    'fireplug.n.01',
  ].map((sense) => node(sense, undefined, { also: ['Outdoors'], not: ['Indoors'] })),
  node('room.n.01', 'Room', { category: C.home, also: ['Indoors'] }),
  node('geological_formation.n.01', 'Nature', { category: C.nature, also: ['Outdoors'] }),
  node('natural_elevation.n.01', 'Landscape'),
  node('mountain.n.01', 'Mountain'),
  node('valley.n.01', 'Valley'),
  node('cliff.n.01', 'Cliff'),
  node('shore.n.01', 'Shoreline'),
  node('coast.n.02', 'Coast'),
  node('body_of_water.n.01', 'Water', { category: C.nature, also: ['Nature', 'Outdoors'] }),

  // Things.
  node('furniture.n.01', 'Furniture', { category: C.furniture, also: ['Indoors'] }),
  node('seat.n.03', 'Seat'),
  node('chair.n.01', 'Chair'),
  node('table.n.02', 'Table'),
  node('bed.n.01', 'Bed'),
  node('sofa.n.01', 'Couch', { aliases: ['Sofa'] }),
  node('lamp.n.01', 'Lamp'),
  node('curtain.n.01', 'Curtain', { category: C.home }),
  node('roof.n.01', 'Roof', { category: C.buildings }),
  node('heater.n.01', 'Heater', { category: C.home }),
  node('electronic_equipment.n.01', 'Electronics', { category: C.tech }),
  node('electronic_device.n.01', 'Electronics', { category: C.tech }),
  node('computer.n.01', 'Computer', { category: C.tech, also: ['Electronics'] }),
  node('telephone.n.01', 'Phone', { category: C.tech, also: ['Electronics'] }),
  node('display.n.06', 'Screen'),
  node('television_receiver.n.01', 'TV', { category: C.tech, also: ['Electronics', 'Screen'] }),
  node('electrical_device.n.01', 'Electrical Device', { category: C.tech }),
  node('camera.n.01', 'Camera', { category: C.tech, also: ['Electronics'] }),
  node('home_appliance.n.01', 'Appliance', { category: C.home, also: ['Indoors'] }),
  node('clothing.n.01', 'Clothing', { category: C.apparel }),
  node('footwear.n.02', 'Footwear', { also: ['Clothing'] }),
  node('shoe.n.01', 'Shoe'),
  node('headdress.n.01', 'Hat'),
  node('coat.n.01', 'Coat'),
  node('dress.n.01', 'Dress'),
  node('swimsuit.n.01', 'Swimwear'),
  node('spectacles.n.01', 'Glasses', { category: C.apparel, also: ['Accessories'] }),
  node('umbrella.n.01', 'Umbrella', { category: C.apparel, also: ['Accessories'] }),
  node('jewelry.n.01', 'Jewelry', { category: C.apparel, also: ['Accessories'] }),
  node('bag.n.01', 'Bag', { category: C.apparel, also: ['Accessories'] }),
  node('musical_instrument.n.01', 'Musical Instrument', { category: C.music }),
  node('guitar.n.01', 'Guitar'),
  node('piano.n.01', 'Piano'),
  node('stringed_instrument.n.01', 'String Instrument'),
  node('wind_instrument.n.01', 'Wind Instrument'),
  node('percussion_instrument.n.01', 'Percussion'),
  node('tool.n.01', 'Tool', { category: C.tools }),
  node('lock.n.01', 'Lock', { category: C.objects }),
  node('pen.n.01', 'Pen', { category: C.objects }),
  node('machine.n.01', 'Machine', { category: C.tools }),
  node('bottle.n.01', 'Bottle'),
  node('cup.n.01', 'Cup', { category: C.kitchen }),
  node('drinking_vessel.n.01', 'Cup'),
  node('box.n.01', 'Box'),
  node('basket.n.01', 'Basket'),
  node('jar.n.01', 'Jar'),
  node('crockery.n.01', 'Pottery'),
  node('tableware.n.01', 'Tableware', { category: C.kitchen }),
  node('cutlery.n.02', 'Cutlery', { category: C.kitchen }),
  node('kitchen_utensil.n.01', 'Kitchen Utensil', { category: C.kitchen }),
  node('cooking_utensil.n.01', 'Cookware'),
  node('pot.n.01', 'Pot'),
  node('sports_equipment.n.01', 'Sports Equipment', { category: C.sports }),
  node('game_equipment.n.01', 'Sports Equipment', { category: C.sports }),
  node('ball.n.01', 'Ball'),
  node('weapon.n.01', 'Weapon', { category: C.weapons }),
  node('armor.n.01', 'Armor', { category: C.weapons }),
  node('gun.n.01', 'Gun'),
  node('plaything.n.01', 'Toy', { category: C.toys }),
  node('timepiece.n.01', 'Clock', { category: C.objects }),
  node('publication.n.01', 'Publication', { category: C.text }),
  node('book.n.01', 'Book'),
  node('book.n.02', 'Book', { category: C.text }),
  node('sign.n.02', 'Sign', { category: C.text }),
  node('medical_instrument.n.01', 'Medical Equipment', { category: C.medical }),
  node('toiletry.n.01', 'Cosmetics', { category: C.beauty }),
  node('fabric.n.01', 'Textile', { category: C.objects }),
];

/**
 * A class whose WordNet synset is not what the model learned (ImageNet's `cup` is the drink; its
 * photos are cups) or whose first lemma is not the word people use. `sense` replaces the synset
 * for the hierarchy; `name` replaces the label.
 */
export interface ClassOverride {
  readonly name?: string;
  readonly sense?: string;
}

/** By ImageNet id. Only where the first WordNet lemma, title-cased, is wrong or ambiguous. */
export const IMAGENET_OVERRIDES: Readonly<Record<string, ClassOverride>> = {
  n02814860: { name: 'Lighthouse' }, // "beacon, lighthouse"
  n07930864: { name: 'Cup', sense: 'cup.n.01' }, // WordNet: a punch; ImageNet's photos: cups
  n07565083: { name: 'Menu', sense: 'menu.n.02' }, // WordNet: the food served; photos: printed menus
  n01871265: { name: 'Elephant', sense: 'elephant.n.01' }, // "tusker"
  n02012849: { name: 'Crane Bird' }, // two classes are "crane"
  n03126707: { name: 'Construction Crane' },
  n03710637: { name: 'Swimwear' }, // "maillot" (tank suit)
  n03710721: { name: 'Swimwear' }, // "maillot" (leotard-like)
  n02113186: { name: 'Corgi' }, // "Cardigan" Welsh corgi, not the sweater
  n02113023: { name: 'Corgi' }, // "Pembroke"
  n04356056: { name: 'Sunglasses' }, // "sunglass" (the lens)
  n04355933: { name: 'Sunglasses', sense: 'sunglasses.n.01' }, // "sunglass": the lens
  n13133613: { name: 'Corn' }, // "ear, spike, capitulum"
  n03063599: { name: 'Coffee Cup' }, // "coffee mug"
  n03063689: { name: 'Coffee Maker' }, // "coffeepot"
  n06359193: { name: 'Web Site' },
  n04404412: { sense: 'television_receiver.n.01' }, // "television system": photos of TV sets
  n07248320: { name: 'Book Jacket', sense: 'book.n.02' }, // WordNet: the paper cover; photos: books
  n03642806: { name: 'Laptop' },
  n03832673: { name: 'Laptop' }, // "notebook, notebook computer"
  n03584254: { name: 'iPod' },
  n02992529: { name: 'Mobile Phone' }, // "cellular telephone"
  n06874185: { name: 'Traffic Light' },
  n06794110: { name: 'Road Sign' }, // "street sign"
  n03196217: { name: 'Clock' }, // "digital clock"
  n04548280: { name: 'Clock' }, // "wall clock"
  n02708093: { name: 'Clock' }, // "analog clock"
  n09193705: { name: 'Mountain' }, // "alp"
  n09428293: { name: 'Beach', sense: 'beach.n.01' }, // "seashore, coast"
  n09332890: { name: 'Lake' }, // "lakeside"
  n04486054: { name: 'Arch' }, // "triumphal arch"
  n04311004: { name: 'Bridge' }, // "steel arch bridge"
  n04366367: { name: 'Bridge' }, // "suspension bridge"
  n12057211: { name: 'Orchid' }, // "yellow lady's slipper"
  n12768682: { name: 'Chestnut' }, // "buckeye"
  n02835271: { name: 'Bicycle' }, // "bicycle-built-for-two" (tandem)
  n03792782: { name: 'Mountain Bike' },
  n03777568: { name: 'Van' }, // "Model T"
  n02930766: { name: 'Taxi' }, // "cab, hack, taxi"
  n03594945: { name: 'Jeep' },
  n04037443: { name: 'Race Car' }, // "racer, race car"
  n03895866: { name: 'Train' }, // "passenger car, coach"
  n03272562: { name: 'Train' }, // "electric locomotive"
  n04310018: { name: 'Steam Engine' }, // "steam locomotive"
  n04147183: { name: 'Sailboat' }, // "schooner"
  n03673027: { name: 'Ocean Liner' }, // "liner, ocean liner"
  n04552348: { name: 'Military Aircraft' }, // "warplane"
  n04008634: { name: 'Rocket', sense: 'rocket.n.01' }, // "projectile, missile": photos are rockets too
  n02747177: { name: 'Trash Can' }, // "ashcan"
  n03345487: { name: 'Fire Truck' }, // "fire engine"
  n04467665: { name: 'Semi Truck' }, // "trailer truck"
  n03930630: { name: 'Pickup Truck' }, // "pickup"
  n03977966: { name: 'Police Car' }, // "police van"
  n04335435: { name: 'Tram' }, // "streetcar"
  n04487081: { name: 'Trolleybus' },
  n07873807: { name: 'Pizza' },
  n07697537: { name: 'Hot Dog' }, // "hotdog"
  n07697313: { name: 'Burger' }, // "cheeseburger"
  n07615774: { name: 'Ice Pop' }, // "ice lolly"
  n07892512: { name: 'Wine' }, // "red wine"
  n03000134: { name: 'Fence' }, // "chainlink fence"
  n04604644: { name: 'Fence' }, // "worm fence"
  n03930313: { name: 'Fence' }, // "picket fence"
  n04326547: { name: 'Wall' }, // "stone wall"
  n03899768: { name: 'Patio' },
  n03032252: { name: 'Cinema' },
};

/** The detector's COCO-80 classes: the WordNet concept each stands for, and a name where the concept's is not Rekognition's. */
export const COCO_CLASSES: Readonly<Record<string, ClassOverride & { readonly sense: string }>> = {
  person: { sense: 'person.n.01' },
  bicycle: { sense: 'bicycle.n.01' },
  car: { sense: 'car.n.01' },
  motorcycle: { sense: 'motorcycle.n.01' },
  airplane: { sense: 'airplane.n.01' },
  bus: { sense: 'bus.n.01' },
  train: { sense: 'train.n.01' },
  truck: { sense: 'truck.n.01' },
  boat: { sense: 'boat.n.01' },
  'traffic light': { sense: 'traffic_light.n.01' },
  'fire hydrant': { sense: 'fireplug.n.01', name: 'Fire Hydrant' },
  'stop sign': { sense: 'street_sign.n.01', name: 'Stop Sign' },
  'parking meter': { sense: 'parking_meter.n.01' },
  bench: { sense: 'bench.n.01' },
  bird: { sense: 'bird.n.01' },
  cat: { sense: 'domestic_cat.n.01' },
  dog: { sense: 'dog.n.01' },
  horse: { sense: 'horse.n.01' },
  sheep: { sense: 'sheep.n.01' },
  cow: { sense: 'cattle.n.01', name: 'Cow' },
  elephant: { sense: 'elephant.n.01' },
  bear: { sense: 'bear.n.01' },
  zebra: { sense: 'zebra.n.01' },
  giraffe: { sense: 'giraffe.n.01' },
  backpack: { sense: 'backpack.n.01' },
  umbrella: { sense: 'umbrella.n.01' },
  handbag: { sense: 'bag.n.04', name: 'Handbag' },
  tie: { sense: 'necktie.n.01', name: 'Tie' },
  suitcase: { sense: 'bag.n.06', name: 'Suitcase' },
  frisbee: { sense: 'frisbee.n.01' },
  skis: { sense: 'ski.n.01' },
  snowboard: { sense: 'snowboard.n.01' },
  'sports ball': { sense: 'ball.n.01' },
  kite: { sense: 'kite.n.03' },
  'baseball bat': { sense: 'baseball_bat.n.01' },
  'baseball glove': { sense: 'baseball_glove.n.01' },
  skateboard: { sense: 'skateboard.n.01' },
  surfboard: { sense: 'surfboard.n.01' },
  'tennis racket': { sense: 'tennis_racket.n.01' },
  bottle: { sense: 'bottle.n.01' },
  'wine glass': { sense: 'wineglass.n.01', name: 'Wine Glass' },
  cup: { sense: 'cup.n.01' },
  fork: { sense: 'fork.n.01' },
  knife: { sense: 'knife.n.01' },
  spoon: { sense: 'spoon.n.01' },
  bowl: { sense: 'bowl.n.03' },
  banana: { sense: 'banana.n.02' },
  apple: { sense: 'apple.n.01' },
  sandwich: { sense: 'sandwich.n.01' },
  orange: { sense: 'orange.n.01' },
  broccoli: { sense: 'broccoli.n.02' },
  carrot: { sense: 'carrot.n.03' },
  'hot dog': { sense: 'hotdog.n.02', name: 'Hot Dog' },
  pizza: { sense: 'pizza.n.01' },
  donut: { sense: 'doughnut.n.02', name: 'Donut' },
  cake: { sense: 'cake.n.03' },
  chair: { sense: 'chair.n.01' },
  couch: { sense: 'sofa.n.01', name: 'Couch' },
  'potted plant': { sense: 'pot_plant.n.01', name: 'Potted Plant' },
  bed: { sense: 'bed.n.01' },
  'dining table': { sense: 'dining_table.n.01' },
  toilet: { sense: 'toilet.n.02' },
  tv: { sense: 'television_receiver.n.01', name: 'TV' },
  laptop: { sense: 'laptop.n.01' },
  mouse: { sense: 'mouse.n.04' },
  remote: { sense: 'remote_control.n.01' },
  keyboard: { sense: 'computer_keyboard.n.01', name: 'Keyboard' },
  'cell phone': { sense: 'cellular_telephone.n.01', name: 'Mobile Phone' },
  microwave: { sense: 'microwave.n.02' },
  oven: { sense: 'oven.n.01' },
  toaster: { sense: 'toaster.n.02' },
  sink: { sense: 'sink.n.01' },
  refrigerator: { sense: 'electric_refrigerator.n.01', name: 'Refrigerator' },
  book: { sense: 'book.n.02' },
  clock: { sense: 'clock.n.01' },
  vase: { sense: 'vase.n.01' },
  scissors: { sense: 'scissors.n.01' },
  'teddy bear': { sense: 'teddy.n.01', name: 'Teddy Bear' },
  'hair drier': { sense: 'hand_blower.n.01', name: 'Hair Dryer' },
  toothbrush: { sense: 'toothbrush.n.01' },
};
