/**
 * Word lists for Brazilian-style people and street addresses. The generator combines them on the server (as array
 * parameters) and the change simulator in JavaScript, so both draw from the same lists.
 */
export const BRAZILIAN_NAMES = {
  first: [
    'Ana', 'Maria', 'Francisco', 'Antônio', 'João', 'José', 'Pedro', 'Paulo', 'Carlos', 'Lucas', 'Luiz', 'Marcos',
    'Gabriel', 'Rafael', 'Daniel', 'Marcelo', 'Bruno', 'Eduardo', 'Felipe', 'Rodrigo', 'Gustavo', 'Fernando',
    'Matheus', 'Thiago', 'Leonardo', 'Vinícius', 'Diego', 'André', 'Ricardo', 'Sérgio', 'Roberto', 'Fábio',
    'Henrique', 'Caio', 'Otávio', 'Renato', 'Márcio', 'Cláudio', 'Raimundo', 'Sebastião', 'Joaquim', 'Davi',
    'Arthur', 'Heitor', 'Bernardo', 'Miguel', 'Enzo', 'Murilo', 'Igor', 'Wellington', 'Juliana', 'Adriana',
    'Mariana', 'Fernanda', 'Patrícia', 'Aline', 'Camila', 'Amanda', 'Bruna', 'Jéssica', 'Letícia', 'Larissa',
    'Beatriz', 'Gabriela', 'Vanessa', 'Luana', 'Tatiane', 'Renata', 'Simone', 'Sandra', 'Cristina', 'Márcia',
    'Luciana', 'Carolina', 'Débora', 'Raquel', 'Priscila', 'Natália', 'Isabela', 'Manuela', 'Helena', 'Alice',
    'Valentina', 'Sofia', 'Lívia', 'Laura', 'Cecília', 'Francisca', 'Antônia', 'Rosângela', 'Conceição', 'Lúcia',
  ],
  surname: [
    'Silva', 'Santos', 'Oliveira', 'Souza', 'Rodrigues', 'Ferreira', 'Alves', 'Pereira', 'Lima', 'Gomes', 'Costa',
    'Ribeiro', 'Martins', 'Carvalho', 'Almeida', 'Lopes', 'Soares', 'Fernandes', 'Vieira', 'Barbosa', 'Rocha', 'Dias',
    'Nascimento', 'Andrade', 'Moreira', 'Nunes', 'Marques', 'Machado', 'Mendes', 'Freitas', 'Cardoso', 'Ramos',
    'Gonçalves', 'Santana', 'Teixeira', 'Araújo', 'Cavalcanti', 'Monteiro', 'Moura', 'Correia', 'Pinto', 'Campos',
    'Borges', 'Batista', 'Castro', 'Rezende', 'Azevedo', 'Medeiros', 'Brandão', 'Queiroz', 'Sampaio', 'Pacheco',
    'Farias', 'Bezerra', 'Siqueira', 'Tavares', 'Aguiar', 'Fonseca', 'Leite', 'Magalhães',
  ],
  streetType: ['Rua', 'Rua', 'Rua', 'Rua', 'Avenida', 'Avenida', 'Travessa', 'Alameda', 'Praça', 'Estrada'],
  street: [
    'das Flores', 'das Palmeiras', 'dos Ipês', 'das Acácias', 'dos Girassóis', 'das Laranjeiras', 'Sete de Setembro',
    'Quinze de Novembro', 'XV de Novembro', 'Treze de Maio', 'Primeiro de Maio', 'Tiradentes', 'Dom Pedro II',
    'Marechal Deodoro', 'Barão do Rio Branco', 'Rui Barbosa', 'Santos Dumont', 'Getúlio Vargas', 'Juscelino Kubitschek',
    'Presidente Vargas', 'Visconde de Mauá', 'Duque de Caxias', 'Castro Alves', 'Machado de Assis', 'José de Alencar',
    'Olavo Bilac', 'Monteiro Lobato', 'Carlos Gomes', 'Osvaldo Cruz', 'Santa Catarina', 'São João', 'São José',
    'São Sebastião', 'Nossa Senhora Aparecida', 'Brasil', 'Paraná', 'Bahia', 'Amazonas', 'Goiás', 'Minas Gerais',
    'da Liberdade', 'da Independência', 'da República', 'da Paz', 'do Comércio', 'do Sol', 'da Aurora', 'Beira-Mar',
    'Boa Vista', 'Bela Vista', 'Afonso Pena', 'Paulista', 'Atlântica', 'Anita Garibaldi', 'Bento Gonçalves',
    'Coronel Fabriciano', 'Padre Anchieta', 'Frei Caneca', 'Cândido Portinari', 'Chico Mendes',
  ],
  neighbourhood: [
    'Centro', 'Jardim América', 'Jardim Europa', 'Vila Nova', 'Vila Mariana', 'Boa Vista', 'Santa Cecília', 'Bela Vista',
    'Liberdade', 'Cidade Nova', 'Jardim Paulista', 'São Cristóvão', 'Santo Antônio', 'Aeroporto', 'Industrial',
    'Planalto', 'Alto da Boa Vista', 'Parque das Nações', 'Jardim das Flores', 'Vila Rica', 'Jardim Botânico',
    'Morada do Sol', 'Cidade Jardim', 'Jardim Primavera', 'Vila Operária', 'Bairro Novo', 'Ponta Verde', 'Pituba',
    'Savassi', 'Boa Viagem', 'Copacabana', 'Moinhos de Vento', 'Batel', 'Aldeota', 'Meireles', 'Setor Bueno',
  ],
  /** Suffixes that tell several dealerships of one city apart. */
  dealershipArea: ['Centro', 'Norte', 'Sul', 'Leste', 'Oeste', 'Shopping', 'Avenida', 'Aeroporto', 'Rodovia', 'Premium'],
} as const;
