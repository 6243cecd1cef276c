/** A Brazilian state with its two-letter code, approximate population (millions) and some of its real cities. */
export interface BrazilState {
  readonly name: string;
  readonly sigla: string;
  /** Millions of inhabitants, rounded: weights where dealerships open. */
  readonly population: number;
  /** Real municipalities (and, for the Distrito Federal, administrative regions), largest first. */
  readonly cities: readonly string[];
}

/**
 * The 27 federative units of Brazil in alphabetical order of name (their `id_estados` is the position + 1), each
 * with real city names, largest first (a city's `id_cidades` follows this order, state by state).
 */
export const BRAZIL_STATES: readonly BrazilState[] = [
  {
    name: 'Acre',
    sigla: 'AC',
    population: 0.9,
    cities: ['Rio Branco', 'Cruzeiro do Sul', 'Sena Madureira', 'Tarauacá', 'Feijó', 'Brasiléia', 'Senador Guiomard', 'Plácido de Castro', 'Xapuri'],
  },
  {
    name: 'Alagoas',
    sigla: 'AL',
    population: 3.3,
    cities: ['Maceió', 'Arapiraca', 'Rio Largo', 'Palmeira dos Índios', 'União dos Palmares', 'Penedo', 'São Miguel dos Campos', 'Coruripe', 'Delmiro Gouveia', 'Marechal Deodoro'],
  },
  {
    name: 'Amapá',
    sigla: 'AP',
    population: 0.8,
    cities: ['Macapá', 'Santana', 'Laranjal do Jari', 'Oiapoque', 'Mazagão', 'Porto Grande', 'Tartarugalzinho', 'Vitória do Jari'],
  },
  {
    name: 'Amazonas',
    sigla: 'AM',
    population: 4.0,
    cities: ['Manaus', 'Parintins', 'Itacoatiara', 'Manacapuru', 'Coari', 'Tefé', 'Tabatinga', 'Maués', 'Humaitá', 'Iranduba'],
  },
  {
    name: 'Bahia',
    sigla: 'BA',
    population: 14.1,
    cities: [
      'Salvador', 'Feira de Santana', 'Vitória da Conquista', 'Camaçari', 'Juazeiro', 'Lauro de Freitas', 'Itabuna',
      'Ilhéus', 'Jequié', 'Teixeira de Freitas', 'Barreiras', 'Alagoinhas', 'Porto Seguro', 'Simões Filho', 'Paulo Afonso',
    ],
  },
  {
    name: 'Ceará',
    sigla: 'CE',
    population: 8.8,
    cities: ['Fortaleza', 'Caucaia', 'Juazeiro do Norte', 'Maracanaú', 'Sobral', 'Crato', 'Itapipoca', 'Maranguape', 'Iguatu', 'Quixadá', 'Canindé', 'Aquiraz'],
  },
  {
    name: 'Distrito Federal',
    sigla: 'DF',
    population: 2.8,
    cities: ['Brasília', 'Ceilândia', 'Taguatinga', 'Samambaia', 'Águas Claras', 'Gama'],
  },
  {
    name: 'Espírito Santo',
    sigla: 'ES',
    population: 3.8,
    cities: ['Serra', 'Vila Velha', 'Cariacica', 'Vitória', 'Cachoeiro de Itapemirim', 'Linhares', 'Guarapari', 'São Mateus', 'Colatina', 'Aracruz', 'Viana'],
  },
  {
    name: 'Goiás',
    sigla: 'GO',
    population: 7.1,
    cities: [
      'Goiânia', 'Aparecida de Goiânia', 'Anápolis', 'Rio Verde', 'Águas Lindas de Goiás', 'Luziânia', 'Valparaíso de Goiás',
      'Senador Canedo', 'Trindade', 'Formosa', 'Catalão', 'Itumbiara', 'Jataí',
    ],
  },
  {
    name: 'Maranhão',
    sigla: 'MA',
    population: 6.8,
    cities: ['São Luís', 'Imperatriz', 'São José de Ribamar', 'Timon', 'Caxias', 'Paço do Lumiar', 'Codó', 'Açailândia', 'Bacabal', 'Balsas', 'Santa Inês'],
  },
  {
    name: 'Mato Grosso',
    sigla: 'MT',
    population: 3.7,
    cities: ['Cuiabá', 'Várzea Grande', 'Rondonópolis', 'Sinop', 'Tangará da Serra', 'Sorriso', 'Lucas do Rio Verde', 'Primavera do Leste', 'Cáceres', 'Barra do Garças'],
  },
  {
    name: 'Mato Grosso do Sul',
    sigla: 'MS',
    population: 2.8,
    cities: ['Campo Grande', 'Dourados', 'Três Lagoas', 'Corumbá', 'Ponta Porã', 'Sidrolândia', 'Naviraí', 'Nova Andradina', 'Aquidauana', 'Paranaíba'],
  },
  {
    name: 'Minas Gerais',
    sigla: 'MG',
    population: 20.5,
    cities: [
      'Belo Horizonte', 'Uberlândia', 'Contagem', 'Juiz de Fora', 'Montes Claros', 'Betim', 'Uberaba', 'Ribeirão das Neves',
      'Governador Valadares', 'Ipatinga', 'Divinópolis', 'Sete Lagoas', 'Santa Luzia', 'Poços de Caldas', 'Patos de Minas',
      'Pouso Alegre', 'Ibirité', 'Teófilo Otoni', 'Varginha', 'Barbacena',
    ],
  },
  {
    name: 'Pará',
    sigla: 'PA',
    population: 8.1,
    cities: ['Belém', 'Ananindeua', 'Santarém', 'Marabá', 'Parauapebas', 'Castanhal', 'Abaetetuba', 'Cametá', 'Marituba', 'Bragança', 'Altamira', 'Tucuruí'],
  },
  {
    name: 'Paraíba',
    sigla: 'PB',
    population: 4.0,
    cities: ['João Pessoa', 'Campina Grande', 'Santa Rita', 'Patos', 'Bayeux', 'Sousa', 'Cabedelo', 'Cajazeiras', 'Guarabira', 'Sapé'],
  },
  {
    name: 'Paraná',
    sigla: 'PR',
    population: 11.4,
    cities: [
      'Curitiba', 'Londrina', 'Maringá', 'Ponta Grossa', 'Cascavel', 'São José dos Pinhais', 'Foz do Iguaçu', 'Colombo',
      'Guarapuava', 'Araucária', 'Toledo', 'Paranaguá', 'Apucarana', 'Campo Largo', 'Umuarama',
    ],
  },
  {
    name: 'Pernambuco',
    sigla: 'PE',
    population: 9.1,
    cities: [
      'Recife', 'Jaboatão dos Guararapes', 'Petrolina', 'Caruaru', 'Olinda', 'Paulista', 'Cabo de Santo Agostinho',
      'Camaragibe', 'Garanhuns', 'Vitória de Santo Antão', 'Igarassu', 'São Lourenço da Mata',
    ],
  },
  {
    name: 'Piauí',
    sigla: 'PI',
    population: 3.3,
    cities: ['Teresina', 'Parnaíba', 'Picos', 'Piripiri', 'Floriano', 'Barras', 'Campo Maior', 'União', 'Altos', 'Esperantina'],
  },
  {
    name: 'Rio de Janeiro',
    sigla: 'RJ',
    population: 16.1,
    cities: [
      'Rio de Janeiro', 'São Gonçalo', 'Duque de Caxias', 'Nova Iguaçu', 'Campos dos Goytacazes', 'Niterói', 'Belford Roxo',
      'São João de Meriti', 'Petrópolis', 'Volta Redonda', 'Macaé', 'Magé', 'Itaboraí', 'Cabo Frio', 'Angra dos Reis',
      'Nova Friburgo', 'Teresópolis', 'Resende',
    ],
  },
  {
    name: 'Rio Grande do Norte',
    sigla: 'RN',
    population: 3.3,
    cities: ['Natal', 'Mossoró', 'Parnamirim', 'São Gonçalo do Amarante', 'Macaíba', 'Ceará-Mirim', 'Caicó', 'Assu', 'Currais Novos', 'São José de Mipibu'],
  },
  {
    name: 'Rio Grande do Sul',
    sigla: 'RS',
    population: 10.9,
    cities: [
      'Porto Alegre', 'Caxias do Sul', 'Canoas', 'Pelotas', 'Santa Maria', 'Gravataí', 'Viamão', 'Novo Hamburgo',
      'São Leopoldo', 'Rio Grande', 'Passo Fundo', 'Alvorada', 'Sapucaia do Sul', 'Santa Cruz do Sul', 'Uruguaiana',
      'Bento Gonçalves',
    ],
  },
  {
    name: 'Rondônia',
    sigla: 'RO',
    population: 1.6,
    cities: ['Porto Velho', 'Ji-Paraná', 'Ariquemes', 'Vilhena', 'Cacoal', 'Rolim de Moura', 'Jaru', 'Guajará-Mirim', 'Ouro Preto do Oeste', 'Pimenta Bueno'],
  },
  {
    name: 'Roraima',
    sigla: 'RR',
    population: 0.6,
    cities: ['Boa Vista', 'Rorainópolis', 'Caracaraí', 'Alto Alegre', 'Mucajaí', 'Cantá', 'Pacaraima', 'Bonfim'],
  },
  {
    name: 'Santa Catarina',
    sigla: 'SC',
    population: 7.6,
    cities: [
      'Joinville', 'Florianópolis', 'Blumenau', 'São José', 'Itajaí', 'Chapecó', 'Palhoça', 'Criciúma', 'Jaraguá do Sul',
      'Lages', 'Balneário Camboriú', 'Brusque', 'Tubarão', 'São Bento do Sul',
    ],
  },
  {
    name: 'São Paulo',
    sigla: 'SP',
    population: 44.4,
    cities: [
      'São Paulo', 'Guarulhos', 'Campinas', 'São Bernardo do Campo', 'Santo André', 'Osasco', 'Sorocaba', 'Ribeirão Preto',
      'São José dos Campos', 'São José do Rio Preto', 'Mogi das Cruzes', 'Santos', 'Mauá', 'Diadema', 'Jundiaí',
      'Piracicaba', 'Carapicuíba', 'Bauru', 'Itaquaquecetuba', 'São Vicente', 'Franca', 'Praia Grande', 'Guarujá',
      'Taubaté', 'Limeira', 'Suzano', 'Barueri', 'Araraquara', 'Marília', 'Presidente Prudente',
    ],
  },
  {
    name: 'Sergipe',
    sigla: 'SE',
    population: 2.2,
    cities: ['Aracaju', 'Nossa Senhora do Socorro', 'Lagarto', 'Itabaiana', 'São Cristóvão', 'Estância', 'Tobias Barreto', 'Itabaianinha', 'Simão Dias', 'Propriá'],
  },
  {
    name: 'Tocantins',
    sigla: 'TO',
    population: 1.5,
    cities: ['Palmas', 'Araguaína', 'Gurupi', 'Porto Nacional', 'Paraíso do Tocantins', 'Araguatins', 'Colinas do Tocantins', 'Guaraí', 'Tocantinópolis', 'Dianópolis'],
  },
];
